"""Load txt, md, html and pdf files into cleaned `Document`s with title, date and language."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from index.clean import clean_text
from index.config import IngestSettings
from index.dates import normalize_date, parse_date_header, split_front_matter
from index.errors import DocumentError
from index.html_text import decode_html, html_text
from index.language import detect_language

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Document",
    "check_size",
    "document_id",
    "file_sha256",
    "guess_title",
    "load_document",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_TEXT_SUFFIXES = (".txt", ".md", ".markdown")
_HTML_STARTS = (b"<!doctype html", b"<html")
_HTML_SUFFIXES = (".html", ".htm")
_UNSUPPORTED = (
    "not UTF-8 text or a supported format (txt, md, html, pdf): convert it to one of those"
)


@dataclass(frozen=True, slots=True)
class Document:
    """One source file after cleaning; chunk and quote offsets point into `text`."""

    doc_id: str  # stable per source file: sha256 of the resolved absolute path, first 16 hex chars
    source: str  # resolved absolute path of the file, as str
    title: str | None
    date: str | None  # ISO: "2017-03" or "2017-03-02"
    language: str  # "en", "sv", ... (index/language.py)
    text: str  # cleaned text; every chunk/quote offset points into it
    file_hash: str  # sha256 hex of the raw file bytes (unchanged file -> no work)
    content_hash: str  # sha256 hex of `text` (chunk ids derive from it)
    # The lines the format marks as headings (HTML's <h1>…<h6>, Markdown's "#" lines), spaces
    # normalised; None when the format marks none (txt, pdf): a short line is judged by looks.
    headings: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        """The file name, e.g. "004_fc025db9153bd9ca.txt"."""
        return Path(self.source).name


# Raise when the text a loader makes of the same file changes (HTML table rows on one line: 2;
# cleaning keeps manual text and sentences join indented wrapped lines: 3; table cells led by
# their column's header: 4; a full-width line continues on a line that opens with a number: 5;
# the chunks' sentence bounds follow the text's; chunks carry the headings HTML and Markdown
# mark: 6), so that ingest re-indexes files it would otherwise skip as unchanged (index/ingest.py).
LOADER_VERSION = 6


def file_sha256(path: str | Path) -> str:
    """sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def document_id(path: str | Path) -> str:
    """Stable id of a source file: the first 16 hex chars of sha256 of its resolved path."""
    return hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:16]


# --- titles ------------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^#{1,2}[ \t]+(.+?)[ \t#]*$", re.M)
_HEADLINE_MAX_WORDS = 15
_TITLE_SEARCH_LINES = 5


def guess_title(text: str) -> str | None:
    """The first one-line paragraph near the top that reads like a headline, or None.

    A headline has no final period and at most 15 words; requiring it to stand alone between
    blank lines keeps the first line of a hard-wrapped paragraph from passing as one.
    """
    blocks = [block.strip() for block in re.split(r"\n[ \t]*\n", text) if block.strip()]
    for block in blocks[:_TITLE_SEARCH_LINES]:
        if "\n" in block:
            continue
        if (
            len(block.split()) <= _HEADLINE_MAX_WORDS
            and block[-1] not in ".,;:"
            and any(ch.isalpha() for ch in block)
        ):
            return block.lstrip("#").strip() or None
    return None


# --- formats -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Extracted:
    text: str
    title: str | None = None
    date: str | None = None
    headings: tuple[str, ...] | None = None


def _decode(raw: bytes, path: str) -> str:
    if b"\x00" in raw[:4096]:
        raise DocumentError(path, _UNSUPPORTED)
    try:
        return raw.decode("utf-8-sig")  # also accepts UTF-8 with a byte-order mark
    except UnicodeDecodeError:
        raise DocumentError(path, _UNSUPPORTED) from None


def _extract_text(raw: bytes, path: str, markdown: bool) -> _Extracted:
    text = _decode(raw, path)
    fields, _ = split_front_matter(text)
    title = fields.get("title") or None
    if title is None and markdown:
        heading = _MD_HEADING.search(text)
        title = heading.group(1).strip() if heading else None
    headings = markdown_headings(text) if markdown else None
    return _Extracted(text=text, title=title, headings=headings)


_MD_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_MD_ATX = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+\S")


def markdown_headings(text: str) -> tuple[str, ...]:
    """The ATX heading lines ("## Installing") of Markdown text, spaces normalised; a "#" line
    inside a fenced code block is a shell comment, not a heading. One pass over the lines."""
    headings: list[str] = []
    fence = ""
    for line in text.splitlines():
        if opened := _MD_FENCE.match(line):
            mark = opened.group(1)
            if not fence:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence):
                fence = ""
        elif not fence and _MD_ATX.match(line):
            headings.append(" ".join(line.split()))
    return tuple(headings)


def _extract_html(raw: bytes, path: str) -> _Extracted:
    page = html_text(decode_html(raw))
    date = next(filter(None, map(normalize_date, page.date_candidates)), None)
    return _Extracted(text=page.text, title=page.title, date=date, headings=page.headings)


def _extract_pdf(raw: bytes, path: str) -> _Extracted:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(path, "PDF is password-protected: save a copy without a password")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        meta = reader.metadata
        title = date = None
        if meta is not None:
            title = (meta.title or "").strip() or None
            date = normalize_date(str(meta.creation_date_raw or ""))
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files; one bad file must not
        # stop a batch, so every one becomes a DocumentError naming the file.
        raise DocumentError(
            path,
            f"not a readable PDF ({type(exc).__name__}: {exc}): open and re-save or re-export it",
        ) from exc
    text = "\n\n".join(page for page in pages if page)
    if not text.strip():
        raise DocumentError(path, "PDF has no extractable text (scanned?): run OCR first")
    return _Extracted(text=text, title=title, date=date)


# --- loading -----------------------------------------------------------------------------------


def check_size(path: Path, limits: IngestSettings) -> None:
    """Refuse a file over the size limit before reading it, naming the limit and its setting."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # reading it will say what is wrong
    if size > limits.max_file_mb * 1_000_000:
        raise DocumentError(
            str(path),
            f"file is {size / 1_000_000:,.1f} MB, over the {limits.max_file_mb:g} MB limit per "
            "file: split it, or raise the limit with ASSISTANT_INGEST__MAX_FILE_MB",
        )


def load_document(path: str | Path, limits: IngestSettings | None = None) -> Document:
    """Read, clean and describe one file; raise DocumentError saying what to do on failure."""
    limits = limits or IngestSettings()
    name = str(path)
    file = Path(path)
    if not file.exists():
        raise DocumentError(name, "no such file: check the path")
    if file.is_dir():
        raise DocumentError(name, "is a folder: pass the files inside it")
    check_size(file, limits)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise DocumentError(
            name, f"cannot be read ({exc.strerror}): check its permissions"
        ) from exc
    if not raw.strip():
        raise DocumentError(name, "file is empty")

    suffix = file.suffix.lower()
    if suffix == ".pdf" or raw.startswith(b"%PDF-"):
        extracted = _extract_pdf(raw, name)
    elif suffix in _HTML_SUFFIXES or (
        suffix not in _TEXT_SUFFIXES and raw.lstrip()[:15].lower().startswith(_HTML_STARTS)
    ):
        extracted = _extract_html(raw, name)
    else:
        extracted = _extract_text(raw, name, markdown=suffix in (".md", ".markdown"))

    # A date header in the text wins, then format metadata. The file's mtime is never used:
    # copying or downloading a file changes it, and a fake date is worse than none.
    header_date, body = parse_date_header(extracted.text)
    date = header_date or extracted.date
    text = clean_text(body)
    if not text:
        raise DocumentError(name, "file has no text (only a header or boilerplate)")
    return Document(
        doc_id=document_id(file),
        source=str(file.resolve()),
        title=extracted.title or guess_title(text),
        date=date,
        language=detect_language(text[:5000]),
        text=text,
        file_hash=hashlib.sha256(raw).hexdigest(),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        headings=extracted.headings,
    )
