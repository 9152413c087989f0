"""Fuzzing the loaders: whatever the bytes, load_document returns a Document or raises
DocumentError (a message naming the file) — never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.errors import DocumentError
from index.loaders import Document, load_document

ROOT = Path(__file__).resolve().parents[2]
PDF = (ROOT / "tests" / "injection" / "docs" / "13_pdf_instructions.pdf").read_bytes()
SUFFIXES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".TXT", ""]
FUZZ = settings(
    max_examples=150,
    deadline=None,  # the first PDF or HTML parse imports its library
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same cases on every run: a failure here is reproducible
)

# Pieces that steer the loader into each format and into its edge cases.
HEADS = st.sampled_from(
    [
        b"",
        b"\xef\xbb\xbf",  # UTF-8 byte-order mark
        b"<!doctype html>",
        b"<html>",
        b"%PDF-",
        b"%PDF-1.4\n",
        b"---\ntitle: x\n---\n",
        b"Date: 2017-03-02\n\n",
        b"\x00",
        b"\xff\xfe",
    ]
)
HTML_BITS = st.sampled_from(
    [
        "<p>", "</p>", "<div style='display:none'>", "</div>", "<br>", "<script>", "</script>",
        "<template>", "<title>", "</title>", "<meta name='date' content='2017-13-45'>",
        "<time datetime='not a date'>", "<!--", "-->", "&amp;", "&#0;", "&#xD800;", "<![CDATA[",
        "<", ">", "\"", "'", "\n", "Text. ", "Ä ö ﬁ 𝔘 ", "\u200b", "<|im_start|>",
    ]
)  # fmt: skip


def _load(data: bytes, suffix: str) -> Document | None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            doc = load_document(path)
        except DocumentError as exc:
            assert exc.reason and str(path) in str(exc)
            return None
    assert doc.text.strip()
    assert len(doc.content_hash) == 64 and len(doc.file_hash) == 64
    return doc


@FUZZ
@given(head=HEADS, body=st.binary(max_size=2048), suffix=st.sampled_from(SUFFIXES))
@example(head=b"", body=b"", suffix=".txt")
@example(head=b"%PDF-", body=b"", suffix=".txt")
@example(head=b"<html>", body=b"\x00" * 10, suffix=".html")
def test_any_bytes(head: bytes, body: bytes, suffix: str) -> None:
    _load(head + body, suffix)


@FUZZ
@given(text=st.text(max_size=2000), suffix=st.sampled_from(SUFFIXES))
def test_any_text(text: str, suffix: str) -> None:
    _load(text.encode("utf-8", "surrogatepass"), suffix)


@FUZZ
@given(bits=st.lists(HTML_BITS, max_size=300), nest=st.integers(0, 3000))
def test_any_html(bits: list[str], nest: int) -> None:
    # Deep nesting: BeautifulSoup and the walk over the tree must not hit the recursion limit.
    page = "<!doctype html><html><body>" + "<div>" * nest + "".join(bits) + "</div>" * nest
    _load(page.encode("utf-8", "surrogatepass"), ".html")


@FUZZ
@given(
    cut=st.integers(0, len(PDF)),
    flips=st.lists(st.tuples(st.integers(0, len(PDF) - 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_pdfs(cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(PDF)
    for position, value in flips:
        data[position] = value
    _load(bytes(data[: max(cut, 1)]), ".pdf")
