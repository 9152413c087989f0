"""Turn API results into the HTML the page shows. Pure functions; every document string is escaped.

Chat messages are built as one line of HTML with no blank lines, so the chatbot's Markdown
renderer treats each as a single raw HTML block and leaves document text alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from assistant import Answer, Citation, Timings
from assistant.api import IngestReport, StoredDocument

LANGUAGES = {"en": "English", "sv": "Swedish"}
MARKER_RE = re.compile(r"\[(\d+)\]")
DOCUMENT_HEADERS = ["File", "Title", "Date", "Language", "Chunks", "Indexed"]
# An absolute or home-relative path (not the "//" of a URL): the page shows its last part only.
PATH_RE = re.compile(r"(?<![\w.:/~])(?:~|/)[^\s'\"<>:|]*/([^\s'\"<>/:|]+)")


def _text(value: str) -> str:
    """Escaped text with line breaks as <br>, so no blank line can end the HTML block."""
    return escape(value).replace("\r\n", "\n").replace("\n", "<br>")


def hide_paths(message: str) -> str:
    """message with every server path cut to its file name: the page never shows where the
    server keeps its files."""
    return PATH_RE.sub(lambda m: m.group(1), message)


def size(n_bytes: int) -> str:
    """A file size for people: "812 bytes", "3.2 kB", "64 MB"."""
    if n_bytes < 1000:
        return f"{n_bytes} bytes"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes} bytes"  # pragma: no cover - the loop always returns


def language_name(code: str | None) -> str:
    return LANGUAGES.get(code or "", code or "unknown language")


def anchor(key: str, n: int) -> str:
    """The id of source n of the answer with this key (unique per answer in a chat)."""
    return f"src-{key}-{n}"


def link_markers(text: str, key: str, known: Iterable[int]) -> str:
    """Escape answer text and turn each [n] that names a known citation into a link to it."""
    numbers = set(known)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group()
        return f'<a class="cite" href="#{anchor(key, n)}" title="Source {n}">[{n}]</a>'

    return MARKER_RE.sub(link, _text(text))


def highlight(citation: Citation) -> str:
    """The citation's context with its quote in <mark>; the quote alone if they disagree."""
    context, quote = citation.context, citation.quote
    start = citation.start - citation.context_start
    end = citation.end - citation.context_start
    if not (context and 0 <= start <= end <= len(context) and context[start:end] == quote):
        found = context.find(quote) if context and quote else -1
        if found < 0:
            return f"<mark>{_text(quote)}</mark>"
        start, end = found, found + len(quote)
    return f"{_text(context[:start])}<mark>{_text(context[start:end])}</mark>{_text(context[end:])}"


def source_label(citation: Citation) -> str:
    """Title, file, date and language of a citation as escaped HTML."""
    parts = []
    if citation.title:
        parts.append(f'<span class="src-title">{_text(citation.title)}</span>')
    parts.append(f'<code class="src-file">{_text(citation.name)}</code>')
    parts.append(_text(citation.date or "undated"))
    parts.append(_text(language_name(citation.language)))
    return " · ".join(parts)


def render_source(citation: Citation, key: str) -> str:
    """One expandable source: label and quote always visible, the context when expanded."""
    return (
        f'<details class="source" id="{anchor(key, citation.n)}">'
        f'<summary><b class="src-n">[{citation.n}]</b> {source_label(citation)}'
        f'<blockquote class="src-quote"><mark>{_text(citation.quote)}</mark></blockquote>'
        "</summary>"
        f'<div class="src-context">{highlight(citation)}</div>'
        "</details>"
    )


def render_sources(citations: Sequence[Citation], key: str) -> str:
    """The Sources panel under an answer ('' when it has none)."""
    if not citations:
        return ""
    items = "".join(render_source(c, key) for c in citations)
    return f'<div class="sources"><div class="sources-head">Sources</div>{items}</div>'


def render_answer(answer: Answer, key: str) -> str:
    """A finished, checked answer: text with linked markers, then its sources."""
    understood = ""
    if answer.standalone_question and answer.standalone_question != answer.question:
        # A follow-up was rewritten before retrieval: show how it was understood.
        understood = f'<p class="understood">Understood as: {_text(answer.standalone_question)}</p>'
    if answer.refused:
        # Why, in the terms of the evidence ("the documents do not mention X"): never model text.
        reason = answer.refusal_reason
        why = f'<p class="why">Why: {_text(reason)}.</p>' if reason else ""
        return f'<div class="answer refused">{understood}<p>{_text(answer.text)}</p>{why}</div>'
    body = link_markers(answer.text, key, (c.n for c in answer.citations))
    removed = ""
    if answer.removed:  # counted, never shown: unsupported sentences must not reach the user
        count = len(answer.removed)
        noun = "sentence was" if count == 1 else "sentences were"
        removed = (
            f'<p class="removed">{count} draft {noun} removed: '
            "not supported by the cited sources.</p>"
        )
    return (
        f'<div class="answer {escape(answer.mode)}">{understood}<p>{body}</p>{removed}'
        f"{render_sources(answer.citations, key)}</div>"
    )


def render_question(question: str) -> str:
    return f'<p class="question">{_text(question)}</p>'


def render_pending() -> str:
    """What the chat shows until the answer has passed the citation check: never the draft."""
    return (
        '<div class="answer pending" role="status" aria-live="polite">'
        "<p>Finding sources and checking the answer…</p></div>"
    )


def render_error(message: str) -> str:
    return f'<div class="answer error" role="alert"><p>⚠ {_text(hide_paths(message))}</p></div>'


def status_line(model: str, documents: int, chunks: int, timings: Timings | None = None) -> str:
    """Model, index size and the last answer's timings, as one line of HTML."""
    docs = "document" if documents == 1 else "documents"
    parts = [
        f"Model <code>{_text(hide_paths(model))}</code>",
        f"{documents} {docs}, {chunks} chunks",
    ]
    if timings is not None:
        last = f"last answer {timings.total_s:.1f} s (retrieval {timings.retrieve_s:.1f} s"
        if timings.first_token_s is not None:
            last += f", first token {timings.first_token_s:.1f} s"
        parts.append(last + ")")
    return f'<div class="status">{" · ".join(parts)}</div>'


def document_rows(docs: Sequence[StoredDocument]) -> list[list[object]]:
    """Rows of the Documents table (the table itself escapes its cells)."""
    return [
        [
            d.name,
            d.title or "",
            d.date or "",
            language_name(d.language),
            d.chunks,
            d.indexed_at.replace("T", " ").removesuffix("+00:00"),
        ]
        for d in docs
    ]


def document_choices(docs: Sequence[StoredDocument]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the remove dropdown."""
    return [(f"{d.name} — {d.title}" if d.title else d.name, d.doc_id) for d in docs]


def ingest_message(report: IngestReport) -> str:
    """What an upload did, file by file; failures name the file and the reason."""
    lines = []
    for path in report.added:
        lines.append(f'<li class="ok">✓ Indexed <code>{_text(Path(path).name)}</code></li>')
    for path in report.updated:
        lines.append(f'<li class="ok">✓ Updated <code>{_text(Path(path).name)}</code></li>')
    for path in report.unchanged:
        lines.append(
            f'<li class="same">= <code>{_text(Path(path).name)}</code> is already indexed</li>'
        )
    for path, reason in report.failed:
        lines.append(
            f'<li class="error" role="alert">✗ <code>{_text(Path(path).name)}</code> was not '
            f"indexed: {_text(hide_paths(reason))}</li>"
        )
    summary = _text(report.summary())
    return f'<div class="ingest"><ul>{"".join(lines)}</ul><p class="muted">{summary}</p></div>'


def notice(message: str, *, error: bool = False) -> str:
    """A one-line result of a Documents action."""
    message = hide_paths(message)
    if error:
        return f'<div class="ingest"><p class="error" role="alert">✗ {_text(message)}</p></div>'
    return f'<div class="ingest"><p class="ok">✓ {_text(message)}</p></div>'
