"""Conversations: history in llama-index chat messages, and follow-ups rewritten to stand alone."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM
from llama_index.core.memory import ChatMemoryBuffer

from assistant.citations import CITE_RE, Span, key_terms, missing_terms
from assistant.errors import ConfigError
from assistant.prompts import Prompt

HistoryLike = Sequence[ChatMessage | Mapping[str, Any]]
MAX_TURNS = 3  # the 0.5B model loses the thread beyond a few turns, and prompts stay short
# Words that point back into the conversation ("Vad meddelades där?", "Why did he call him?").
REFERRING = frozenset(
    """there that it its he him his she her they them their then this these those
    där dit det den dess han hans hon henne de dem deras då detta dessa""".split()
)


def to_messages(history: HistoryLike | None) -> list[ChatMessage]:
    """Accept llama-index ChatMessages or {"role", "content"} dicts (OpenAI/Gradio style)."""
    messages = []
    for item in history or []:
        if isinstance(item, ChatMessage):
            messages.append(item)
            continue
        if not isinstance(item, Mapping) or "role" not in item or "content" not in item:
            raise ConfigError(
                f"history item {item!r} is not a message: pass dicts like "
                '{"role": "user", "content": "..."}'
            )
        role = str(item["role"])
        if role not in {"user", "assistant", "system"}:
            raise ConfigError(f"history role {role!r} must be 'user' or 'assistant'")
        content = item["content"]
        if not isinstance(content, str):
            content = str(content)
        messages.append(ChatMessage(role=MessageRole(role), content=content))
    return messages


def render_history(messages: Sequence[ChatMessage]) -> str:
    """The last few turns as plain text, citation markers removed."""
    kept = [m for m in messages if m.role in (MessageRole.USER, MessageRole.ASSISTANT)]
    lines = []
    for m in kept[-2 * MAX_TURNS :]:
        who = "User" if m.role == MessageRole.USER else "Assistant"
        text = CITE_RE.sub("", m.content or "").strip()
        lines.append(f"{who}: {text}")
    return "\n".join(lines)


def condense(
    llm: LLM, prompt: Prompt, question: str, history: Sequence[ChatMessage], language_name: str
) -> str:
    """Rewrite a follow-up question so it stands alone; the original if there is no history."""
    if not any(m.role == MessageRole.USER for m in history):
        return question
    rendered = prompt.render(
        history=render_history(history), question=question, language_name=language_name
    )
    reply = llm.chat([ChatMessage(role=MessageRole.USER, content=rendered)], max_tokens=64)
    rewrite = _first_line(reply.message.content or "")
    # A rewrite that drops the question's own names/numbers, or rambles, is worse than none.
    # (Digits and names only: "the two presidents" may rightly become "Putin and Erdogan".)
    names = [n.capitalize() for n in sorted(key_terms(question).names)]
    must_keep = "and " + " ".join(names + re.findall(r"\d+", question))
    if (
        not rewrite
        or rewrite.casefold() == question.casefold()
        or len(rewrite) > 4 * len(question) + 80
        or missing_terms(must_keep, [Span(0, rewrite)])
    ):
        return question
    return rewrite


def previous_question(question: str, history: Sequence[ChatMessage]) -> str | None:
    """The previous user question when question refers back to it ("Vad meddelades där?").

    Used for retrieval only when the model did not rewrite the follow-up: "där" then still
    finds the sentence about the meeting in S:t Petersburg, while the model is asked the
    follow-up itself (given both questions, the 0.5B model answers the first).
    """
    words = set(re.findall(r"\w+", question.casefold()))
    previous = [m.content for m in history if m.role == MessageRole.USER and m.content]
    if not previous or not words & REFERRING:
        return None
    return CITE_RE.sub("", previous[-1]).strip() or None


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        line = re.sub(r"^(rewritten question|question|fråga)\s*:\s*", "", line.strip(), flags=re.I)
        if line:
            return line.strip().strip('"')
    return ""


class Conversation:
    """One chat's memory (llama-index ChatMemoryBuffer), for the REPL and the web UI."""

    def __init__(self, token_limit: int = 1500) -> None:
        self._memory = ChatMemoryBuffer.from_defaults(token_limit=token_limit)

    def add(self, question: str, answer: str) -> None:
        self._memory.put(ChatMessage(role=MessageRole.USER, content=question))
        self._memory.put(ChatMessage(role=MessageRole.ASSISTANT, content=answer))

    def history(self) -> list[ChatMessage]:
        return list(self._memory.get_all())

    def reset(self) -> None:
        self._memory.reset()
