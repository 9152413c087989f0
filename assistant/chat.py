"""Conversations: history in llama-index chat messages, and follow-ups rewritten to stand alone."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM
from llama_index.core.memory import ChatMemoryBuffer

from assistant.citations import CITE_RE, Span, key_terms, missing_terms
from assistant.errors import ConfigError
from assistant.prompts import Prompt
from index.languages import all_languages

HistoryLike = Sequence[ChatMessage | Mapping[str, Any]]
TokenCounter = Callable[[str], int]
MAX_TURNS = 3  # the 0.5B model loses the thread beyond a few turns, and prompts stay short
CONDENSE_TOKENS = 64  # the rewrite's own budget: one question


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


def token_counter(llm: LLM | None, encoding: str = "cl100k_base") -> TokenCounter:
    """Count tokens as the model does: a local model's own tokenizer, else tiktoken's."""
    tokenize = getattr(getattr(llm, "_model", None), "tokenize", None)  # llama_cpp.Llama
    if callable(tokenize):
        return lambda text: len(tokenize(text.encode("utf-8"), add_bos=False, special=False))
    from index.chunking import count_tokens  # tiktoken, loaded offline

    return lambda text: count_tokens(text, encoding)


def _cut(text: str, budget: int, count: TokenCounter) -> str:
    """The start of text that fits budget tokens (halving: a few tokenizer calls, not one per
    character), marked with an ellipsis when cut."""
    if count(text) <= budget:
        return text
    keep = len(text)
    while keep > 0 and count(text[:keep] + " …") > budget:
        keep //= 2
    return text[:keep].rstrip() + " …" if keep else ""


def render_history(
    messages: Sequence[ChatMessage], budget: int | None = None, count: TokenCounter | None = None
) -> str:
    """The last few turns as plain text, citation markers removed, within budget tokens.

    The newest turns are kept first; a turn that alone exceeds what is left is cut short.
    """
    kept = [m for m in messages if m.role in (MessageRole.USER, MessageRole.ASSISTANT)]
    lines: list[str] = []
    left = budget
    for m in reversed(kept[-2 * MAX_TURNS :]):
        who = "User" if m.role == MessageRole.USER else "Assistant"
        line = f"{who}: {' '.join(CITE_RE.sub('', m.content or '').split())}"
        if left is not None and count is not None:
            line = _cut(line, left, count)
            if not line:
                break
            left -= count(line) + 1  # the line break
        lines.append(line)
    return "\n".join(reversed(lines))


def condense(
    llm: LLM,
    prompt: Prompt,
    question: str,
    history: Sequence[ChatMessage],
    language_name: str,
    *,
    history_tokens: int | None = None,
    context_window: int | None = None,
    count: TokenCounter | None = None,
) -> str:
    """Rewrite a follow-up question so it stands alone; the original if there is no history.

    With count given, the history shown is cut to history_tokens and to what the context window
    leaves beside the prompt, the question and the rewrite itself, newest turns first.
    """
    if not any(m.role == MessageRole.USER for m in history):
        return question
    budget = None
    if count is not None:
        bare = prompt.render(history="", question=question, language_name=language_name)
        room = (context_window or 2048) - CONDENSE_TOKENS - count(bare) - 8  # chat-template tokens
        budget = min(history_tokens if history_tokens is not None else room, room)
        if budget <= 0:
            return question  # no room for any history: the question goes as asked
    rendered = prompt.render(
        history=render_history(history, budget, count),
        question=question,
        language_name=language_name,
    )
    reply = llm.chat(
        [ChatMessage(role=MessageRole.USER, content=rendered)], max_tokens=CONDENSE_TOKENS
    )
    rewrite = _first_line(reply.message.content or "")
    # A rewrite that drops the question's own names/numbers, or rambles, is worse than none.
    # (Digits and names only: "the two presidents" may rightly become "Biden and Macron".)
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


@cache
def referring_words() -> frozenset[str]:
    """Words that point back into the conversation ("där", "dort", "him"): every language data
    file's pronouns. All languages at once: a short follow-up's language is often undetectable."""
    return frozenset().union(*(lang.pronouns for lang in all_languages()))


def previous_question(question: str, history: Sequence[ChatMessage]) -> str | None:
    """The previous user question when question refers back to it ("Vad meddelades där?").

    Used for retrieval only when the model did not rewrite the follow-up: "där" then still
    finds the sentence about the meeting in S:t Petersburg, while the model is asked the
    follow-up itself (given both questions, the 0.5B model answers the first).
    """
    words = set(re.findall(r"\w+", question.casefold()))
    previous = [m.content for m in history if m.role == MessageRole.USER and m.content]
    if not previous or not words & referring_words():
        return None
    return CITE_RE.sub("", previous[-1]).strip() or None


@cache
def _label_re() -> re.Pattern[str]:
    """A label the model may put before its rewrite ("Rewritten question:", "Fråga:"): every
    language file's rewrite_labels, longest first, as the reply may be in any of them."""
    labels = {label for lang in all_languages() for label in lang.rewrite_labels}
    alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    return re.compile(rf"^(?:{alternatives})\s*:\s*", re.IGNORECASE)


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        line = _label_re().sub("", line.strip())
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
