import dataclasses
import hashlib
from pathlib import Path

import pytest

from index.chunking import Chunk, chunk_document, count_tokens, split_sentences
from index.loaders import Document, load_document

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("Use tools, e.g. hammers. Then rest.", ["Use tools, e.g. hammers.", "Then rest."]),
        ("It cost 3.5 dollars. Cheap.", ["It cost 3.5 dollars.", "Cheap."]),
        ("Vladimir V. Putin spoke. Then left.", ["Vladimir V. Putin spoke.", "Then left."]),
        ("The U.S. Army came. It left.", ["The U.S. Army came.", "It left."]),
        (
            "Ryssland vill bl.a. ha en ursäkt, t.ex. ett brev. Sedan kom svaret.",
            ["Ryssland vill bl.a. ha en ursäkt, t.ex. ett brev.", "Sedan kom svaret."],
        ),
        (
            "Mötet i S:t Petersburg hölls kl. 10. Det gick bra.",
            ["Mötet i S:t Petersburg hölls kl. 10.", "Det gick bra."],
        ),
        (
            "De kommer överens om att utöka samarbetet.Support The Moscow Times!",
            ["De kommer överens om att utöka samarbetet.", "Support The Moscow Times!"],
        ),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Wait... What happened?", ["Wait...", "What happened?"]),
        ("A heading\n\nFirst paragraph.", ["A heading", "First paragraph."]),
        ("Once\nMonthly\nAnnual", ["Once", "Monthly", "Annual"]),
        (
            "A line wrapped in\nthe middle of a sentence.",
            ["A line wrapped in\nthe middle of a sentence."],
        ),
        ("  padded sentence.  \n\n  ", ["padded sentence."]),
        ("Military night.\xa0The meetings ended. \xa0", ["Military night.", "The meetings ended."]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert _sentences(text) == expected


def test_sentence_spans_are_trimmed_and_ordered():
    text = (SEEDS / "004_fc025db9153bd9ca.txt").read_text(encoding="utf-8")
    spans = split_sentences(text)
    assert all(a < b for a, b in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    assert all(text[a:b] == text[a:b].strip() for a, b in spans)


def _doc(text: str, doc_id: str = "d1") -> Document:
    return Document(
        doc_id=doc_id,
        source=f"/tmp/{doc_id}.txt",
        title=None,
        date=None,
        language="en",
        text=text,
        file_hash="0" * 64,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


LONG = "\n\n".join(
    f"Paragraph {p} sentence {s} talks about the budget, the schools and the roads of the town."
    for p in range(6)
    for s in range(3)
)


def test_offsets_are_exact_and_limits_hold():
    doc = _doc(LONG)
    chunks = chunk_document(doc, chunk_tokens=60, overlap_tokens=20)
    assert len(chunks) > 3
    for i, chunk in enumerate(chunks):
        assert isinstance(chunk, Chunk)
        assert chunk.text == doc.text[chunk.start : chunk.end]
        assert chunk.index == i
        assert chunk.doc_id == "d1"
        assert count_tokens(chunk.text) <= 60
    assert chunks[0].start == 0
    assert chunks[-1].end == len(LONG)


def test_chunks_cover_every_sentence_without_splitting_one():
    doc = _doc(LONG)
    chunks = chunk_document(doc, chunk_tokens=60, overlap_tokens=20)
    for start, end in split_sentences(LONG):
        assert any(c.start <= start and end <= c.end for c in chunks)
    boundaries = {b for span in split_sentences(LONG) for b in span}
    assert all(c.start in boundaries and c.end in boundaries for c in chunks)


def test_consecutive_chunks_overlap_by_whole_sentences():
    doc = _doc(LONG)
    chunks = chunk_document(doc, chunk_tokens=60, overlap_tokens=20)
    for previous, following in zip(chunks, chunks[1:], strict=False):
        assert previous.start < following.start < previous.end < following.end
        overlap = doc.text[following.start : previous.end]
        assert count_tokens(overlap) <= 20 + 2


def test_no_overlap_when_overlap_is_zero():
    doc = _doc(LONG)
    chunks = chunk_document(doc, chunk_tokens=60, overlap_tokens=0)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))


def test_ids_are_stable_and_follow_content():
    first = chunk_document(_doc(LONG), chunk_tokens=60)
    second = chunk_document(_doc(LONG), chunk_tokens=60)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    chunk = first[0]
    content_hash = hashlib.sha256(LONG.encode()).hexdigest()
    key = f"{chunk.doc_id}:{content_hash}:{chunk.start}:{chunk.end}"
    assert chunk.id == hashlib.sha256(key.encode()).hexdigest()[:32]
    changed = chunk_document(_doc(LONG.replace("budget", "budgets", 1)), chunk_tokens=60)
    assert changed[0].id != chunk.id
    copy = dataclasses.replace(_doc(LONG), doc_id="0" * 16)  # the same text in another file
    assert chunk_document(copy, chunk_tokens=60)[0].id != chunk.id


def test_over_long_sentence_is_cut_by_tokens_with_exact_offsets():
    words = " ".join(f"word{i}" for i in range(400))
    text = f"Short intro. {words} end. Short outro."
    doc = _doc(text)
    chunks = chunk_document(doc, chunk_tokens=50, overlap_tokens=0)
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert all(c.text == text[c.start : c.end] for c in chunks)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))
    joined = " ".join(c.text for c in chunks)
    assert joined.split() == text.split()  # cuts fall between words, nothing is lost


def test_chunk_prefers_paragraph_breaks_when_half_full():
    sentence = "This sentence is about ten tokens long, more or less."  # 12 tokens
    long_para = " ".join([sentence] * 3)
    text = f"{sentence}\n\n{long_para}\n\n{sentence}"
    chunks = chunk_document(_doc(text), chunk_tokens=60, overlap_tokens=0)
    # The short first paragraph joins the next; the then half-full chunk stops at the break.
    assert [c.text for c in chunks] == [f"{sentence}\n\n{long_para}", sentence]


def test_swedish_abbreviations_do_not_end_a_chunk():
    text = "Ryssland kräver bl.a. en ursäkt. " * 20
    chunks = chunk_document(_doc(text.strip()), chunk_tokens=30, overlap_tokens=0)
    assert all(c.text.endswith("ursäkt.") for c in chunks)


def test_seed_chunks_have_exact_offsets():
    doc = load_document(SEEDS / "000_de2dd51f3474cc85.txt")
    chunks = chunk_document(doc)
    assert chunks and all(c.text == doc.text[c.start : c.end] for c in chunks)
    assert all(count_tokens(c.text) <= 160 for c in chunks)
    assert chunks[-1].end == len(doc.text)


def test_empty_document_has_no_chunks():
    assert chunk_document(_doc("")) == []


def test_invalid_sizes_are_rejected():
    with pytest.raises(ValueError):
        chunk_document(_doc(LONG), chunk_tokens=0)


def test_chunk_is_frozen():
    chunk = chunk_document(_doc(LONG))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        chunk.start = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a full-width line goes on with a number: one sentence
            "       Some platforms do not currently support timeouts beyond the year\n"
            "       2038.\n",
            ["Some platforms do not currently support timeouts beyond the year 2038."],
        ),
        (  # a short line before a number is a label or heading: two
            "       EXIT STATUS\n       124 if COMMAND times out.\n",
            ["EXIT STATUS", "124 if COMMAND times out."],
        ),
        (  # a numbered item after a full-width line starts its own sentence
            "Pick the zone you need for the profile by dragging the mouse over it\n"
            "3. Then choose noise removal.",
            [
                "Pick the zone you need for the profile by dragging the mouse over it",
                "3.",  # the splitter's own reading of a list number
                "Then choose noise removal.",
            ],
        ),
    ],
)
def test_a_number_continues_only_a_full_width_line(text, expected):
    sentences = [" ".join(text[s:e].split()) for s, e in split_sentences(text)]
    assert sentences == expected


def test_an_indented_hard_wrapped_sentence_is_one_sentence():
    text = (
        "       TIME is a number with a suffix: s for seconds\n"
        "       (the default), m for minutes or d for days.\n"
        "       A time of 0 turns the limit off.\n"
    )
    sentences = [" ".join(text[s:e].split()) for s, e in split_sentences(text)]
    assert sentences == [
        "TIME is a number with a suffix: s for seconds (the default), m for minutes or d for days.",
        "A time of 0 turns the limit off.",
    ]
