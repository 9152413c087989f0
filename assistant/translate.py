"""Query translation with the LLM, so retrieval can cross between English and Swedish.

The bundled embedder only understands English, and BM25 only matches shared words, so a question
in one language finds little in documents of the other. A rough machine translation of the
question is enough for retrieval: names, numbers and the main nouns usually survive.
"""

from __future__ import annotations

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.prompts import Prompt


def translate(llm: LLM, prompt: Prompt, question: str) -> str | None:
    """The question translated as prompt instructs, or None if the model gave nothing usable."""
    # The prompt's "A | B" example lines become earlier chat turns: the 0.5B model imitates
    # turns reliably, while examples inside one message get continued or copied.
    instructions, _, rest = prompt.render(question=question).partition("\nExamples")
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=instructions.strip())]
    for line in rest.splitlines():
        if " | " in line:
            source, target = (part.strip() for part in line.split(" | ", 1))
            messages.append(ChatMessage(role=MessageRole.USER, content=source))
            messages.append(ChatMessage(role=MessageRole.ASSISTANT, content=target))
    messages.append(ChatMessage(role=MessageRole.USER, content=question))
    reply = llm.chat(messages, max_tokens=48)  # one question; never a paragraph
    lines = [line.strip() for line in (reply.message.content or "").strip().splitlines()]
    text = lines[0] if lines else ""
    if not text or text.lower() == question.lower() or len(text) > 3 * len(question) + 40:
        return None
    return text
