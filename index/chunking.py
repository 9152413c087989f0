"""Sentence-aware, token-counted chunking with exact character offsets into Document.text.

Written by hand rather than with llama-index's SentenceSplitter: that splitter returns chunk
strings (it re-joins and strips pieces) and recovers offsets by searching for them afterwards, so
offsets can drift; citations need `chunk.text == doc.text[start:end]` exactly. Sentence
boundaries come from `split_sentences`, which evidence selection also uses.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from index.errors import ConfigError

if TYPE_CHECKING:
    import tiktoken

    from index.loaders import Document

__all__ = ["LINE_END", "Chunk", "chunk_document", "count_tokens", "split_sentences"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span of a document's cleaned text, the unit that is embedded and retrieved."""

    # Stable: sha256(f"{doc_id}:{content_hash}:{start}:{end}")[:32]. The document id is in it
    # so that two files with the same text (a copy) never share chunks.
    id: str
    doc_id: str
    text: str  # == document.text[start:end]
    start: int  # character offsets into Document.text
    end: int
    index: int  # ordinal of the chunk within its document


# --- sentences ---------------------------------------------------------------------------------

# Words that end in a period without ending the sentence (compared lower-case, without the final
# period). English and Swedish; "S:t" has no period and needs no entry.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs e.g i.e etc.al cf no nos inc ltd co corp gen col lt sgt
    capt gov sen rep rev fig approx dept est jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n a.m p.m
    bl.a t.ex m.fl m.m o.s.v d.v.s dvs s.k ca kl nr resp jfr f.d p.g.a pga t.o.m fr.o.m f.n
    o.d ang bl.a.m.fl tel s.a.s e.kr f.kr""".split()
)
_TERMINATOR = re.compile(r"""[.!?…]+["'”’»)\]]*""")
_LINE = re.compile(r"[^\n]+")
# A line ending so ends what it says (a sentence, or a lead-in to what follows).
LINE_END = re.compile(r"""[.!?…:;]["'”’»)\]]*$""")
_WORD_BEFORE = re.compile(r"(\S+)$")
# A line at least this long that ends without punctuation was wrapped by its writer's editor or a
# manual-page formatter, so a next line opening with a number goes on with the sentence ("… not
# beyond the year\n       2038."), unless it is a numbered item ("3. Select …", "124  if …").
WRAP_WIDTH = 60
_LIST_ITEM = re.compile(r"\d+[.)]?[ \t]+\S")


def _is_boundary(text: str, match: re.Match[str], line_end: int) -> bool:
    end = match.end()
    next_char = end
    while next_char < line_end and text[next_char].isspace():
        next_char += 1
    if next_char >= line_end:
        return True
    first = text[next_char]
    terminator = match.group()
    if next_char == end:
        # "samarbetet.Support": a glued period between a lower-case word and a capitalised one.
        before = text[max(0, match.start() - 2) : match.start()]
        return (
            terminator == "."
            and len(before) == 2
            and before.isalpha()
            and before.islower()
            and first.isupper()
            and text[next_char + 1 : next_char + 2].islower()
        )
    if first.islower():
        return False  # "e.g. the", "bl.a. den": a sentence does not start in lower case
    if terminator.startswith(".") and not terminator.startswith(".."):
        word = _WORD_BEFORE.search(text[max(0, match.start() - 40) : match.start()])
        token = word.group(1).lower().lstrip("(\"'“‘«") if word else ""
        if token in _ABBREVIATIONS:
            return False
        if len(token) == 1 and token.isalpha():
            return False  # an initial: "John F. Kennedy"
    return True


def _line_breaks_sentence(text: str, line_end: int, next_start: int) -> bool:
    """A newline ends a sentence unless it only wraps one (lower-case continuation, no blank).

    The continuation may be indented, as in manual pages and quoted mail, and may open with a
    bracket: "… a suffix: s for seconds\n       (the default), m for minutes …", or with a
    number after a full-width line (WRAP_WIDTH)."""
    if text.count("\n", line_end, next_start) > 1:
        return True
    if LINE_END.search(text[max(0, line_end - 8) : line_end].rstrip()):
        return True
    following = text[next_start : next_start + 80].lstrip(" \t").lstrip("([")
    if following[:1].isdigit() and line_end - (text.rfind("\n", 0, line_end) + 1) >= WRAP_WIDTH:
        return _LIST_ITEM.match(following) is not None
    return not following[:1].islower()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return whitespace-trimmed (start, end) sentence spans of `text` (English and Swedish)."""
    spans: list[tuple[int, int]] = []
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group().strip()]
    current: int | None = None
    for number, (line_start, line_end) in enumerate(lines):
        if current is None:
            current = line_start
        for match in _TERMINATOR.finditer(text, line_start, line_end):
            if _is_boundary(text, match, line_end):
                spans.append((current, match.end()))
                current = match.end()
        next_start = lines[number + 1][0] if number + 1 < len(lines) else None
        if next_start is None or _line_breaks_sentence(text, line_end, next_start):
            if current < line_end:
                spans.append((current, line_end))
            current = None
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


# --- tokens ------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    import tiktoken
    from llama_index.core.utils import get_tokenizer

    # tiktoken downloads its BPE files on first use, which fails offline. llama-index-core ships
    # cl100k_base and its default tokenizer loads it from that copy (it points tiktoken's cache
    # there while loading, so no module of ours touches the environment); tiktoken then keeps
    # the loaded encoding in its registry, where get_encoding finds it.
    get_tokenizer()
    try:
        return tiktoken.get_encoding(name)
    except Exception as exc:  # requests' ConnectionError, ValueError for an unknown name, ...
        raise ConfigError(
            f"tiktoken encoding {name!r} is not available offline ({type(exc).__name__}): use "
            "the default 'cl100k_base', or set TIKTOKEN_CACHE_DIR to a folder holding its BPE file"
        ) from exc


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    """Number of tiktoken tokens in `text` (special-token text counts as ordinary text)."""
    return len(_encoding(encoding).encode_ordinary(text))


def _split_long(
    text: str, start: int, end: int, limit: int, enc: tiktoken.Encoding
) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `limit` tokens, keeping offsets exact."""
    tokens = enc.encode_ordinary(text[start:end])
    _, offsets = enc.decode_with_offsets(tokens)  # char offset of each token in text[start:end]
    cuts: list[int] = []
    first = 0
    while len(tokens) - first > limit:
        cut = first + limit
        # Back off to a token that starts a new word, so words stay whole where possible.
        while cut > first + limit // 2 and not text[start + offsets[cut]].isspace():
            cut -= 1
        if cut <= first + limit // 2:
            cut = first + limit
        cuts.append(offsets[cut])
        first = cut
    pieces: list[tuple[int, int]] = []
    for a, b in zip([0, *cuts], [*cuts, end - start], strict=True):
        span = _trim(text, start + a, start + b)
        if span is None:
            continue
        # A piece re-encoded on its own can come out a token or two longer: halve it until it fits.
        if len(enc.encode_ordinary(text[span[0] : span[1]])) > limit and b - a > 1:
            middle = start + a + (b - a) // 2
            pieces += _split_long(text, span[0], middle, limit, enc)
            pieces += _split_long(text, middle, span[1], limit, enc)
        else:
            pieces.append(span)
    return pieces


# --- packing -----------------------------------------------------------------------------------


def _chunk_id(doc_id: str, content_hash: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{doc_id}:{content_hash}:{start}:{end}".encode()).hexdigest()[:32]


def chunk_document(
    doc: Document,
    *,
    chunk_tokens: int = 160,
    overlap_tokens: int = 40,
    encoding: str = "cl100k_base",
) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `chunk_tokens`, overlapping by whole sentences.

    A sentence longer than `chunk_tokens` is cut by tokens. A chunk that is at least half full
    ends at a paragraph break rather than run into the next paragraph.
    """
    if chunk_tokens < 1 or overlap_tokens < 0:
        raise ValueError("chunk_tokens must be positive and overlap_tokens not negative")
    enc = _encoding(encoding)
    text = doc.text
    units: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if len(enc.encode_ordinary(text[start:end])) > chunk_tokens:
            units += _split_long(text, start, end, chunk_tokens, enc)
        else:
            units.append((start, end))
    sizes = [len(enc.encode_ordinary(text[s:e])) for s, e in units]

    def span_tokens(first: int, last: int) -> int:
        return len(enc.encode_ordinary(text[units[first][0] : units[last][1]]))

    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and span_tokens(first, last + 1) <= chunk_tokens:
            paragraph_break = text.count("\n", units[last][1], units[last + 1][0]) >= 2
            if paragraph_break and span_tokens(first, last) * 2 >= chunk_tokens:
                break
            last += 1
        start, end = units[first][0], units[last][1]
        chunks.append(
            Chunk(
                id=_chunk_id(doc.doc_id, doc.content_hash, start, end),
                doc_id=doc.doc_id,
                text=text[start:end],
                start=start,
                end=end,
                index=len(chunks),
            )
        )
        if last + 1 >= len(units):
            break
        # Step back over whole sentences worth at most overlap_tokens, but always move forward.
        following = last + 1
        while (
            following - 1 > first
            and sum(sizes[following - 1 : last + 1]) <= overlap_tokens
            and span_tokens(following - 1, last + 1) <= chunk_tokens
        ):
            following -= 1
        first = following
    return chunks
