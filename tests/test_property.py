"""Property-based tests (hypothesis) for pure parts: chunk offsets, citation markers, metrics."""

from __future__ import annotations

import hashlib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.citations import CITE_RE, split_answer
from assistant.metrics import exact_match, normalize, strip_citations, token_f1, tokens
from index.chunking import chunk_document, split_sentences
from index.loaders import Document

# Words of the kind documents hold: plain, capitalised, numbers, Swedish letters, abbreviations,
# dashes and quotes, so sentence and chunk boundaries land in awkward places.
WORDS = st.sampled_from(
    ["the", "sanktioner", "Ankara", "år", "Öst", "2016", "24–25", "e.g.", "Dr.", "bl.a.",
     "V.", "U.S.", "S:t", "“quoted”", "(note)", "x", "Ö-ö", "11", "3.5", "…", "'s", "naïve"]
)  # fmt: skip
ENDS = st.sampled_from([".", "!", "?", "…", ".”", ":", "", "."])
GAPS = st.sampled_from([" ", "  ", "\n", "\n\n", " \n", "\t", "\n \n"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Text of a few paragraphs of sentences, with odd spacing and punctuation."""
    parts = []
    for _ in range(draw(st.integers(1, 25))):
        words = draw(st.lists(WORDS, min_size=1, max_size=18))
        if draw(st.booleans()):
            words[0] = words[0].capitalize()
        parts.append(" ".join(words) + draw(ENDS) + draw(GAPS))
    return draw(GAPS) * draw(st.integers(0, 1)) + "".join(parts)


def document(text: str) -> Document:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Document("d", "/tmp/d.txt", None, None, "en", text, digest, digest)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents(), size=st.integers(8, 80), overlap=st.integers(0, 30))
def test_chunk_offsets_always_reproduce_the_text(text: str, size: int, overlap: int) -> None:
    chunks = chunk_document(document(text), chunk_tokens=size, overlap_tokens=overlap)
    assert chunks or not text.strip()
    for i, chunk in enumerate(chunks):
        assert chunk.text == text[chunk.start : chunk.end] and chunk.text == chunk.text.strip()
        assert chunk.index == i and chunk.doc_id == "d"
    # Chunks move forward and together cover every character of every sentence (but the
    # spaces where an over-long sentence was cut).
    assert [c.start for c in chunks] == sorted({c.start for c in chunks})
    covered = {i for c in chunks for i in range(c.start, c.end)}
    for start, end in split_sentences(text):
        assert {i for i in range(start, end) if not text[i].isspace()} <= covered
    # Ids are stable: the same text gives the same chunks.
    again = chunk_document(document(text), chunk_tokens=size, overlap_tokens=overlap)
    assert [c.id for c in again] == [c.id for c in chunks]
    assert len({c.id for c in chunks}) == len(chunks)


@settings(max_examples=100, deadline=None)
@given(text=documents())
def test_sentence_spans_are_ordered_trimmed_and_hold_all_text(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip()
        assert not text[previous_end:start].strip()  # no text falls between two sentences
        previous_end = end
    assert not text[previous_end:].strip()


SENTENCE_WORDS = st.sampled_from(
    ["sanctions", "were", "lifted", "in", "July", "2016", "Ankara", "hävdes", "år", "11",
     "soldiers", "24–25", "the", "de"]
)  # fmt: skip
CITED = st.lists(st.integers(1, 99), max_size=3)


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, list[tuple[str, tuple[int, ...]]], list[int]]:
    """An answer of capitalised sentences with [n] / [n, m] markers; what it should parse to; and
    every id as written."""
    expected = []
    text = []
    written: list[int] = []
    count = draw(st.integers(1, 6))
    for i in range(count):
        words = draw(st.lists(SENTENCE_WORDS, min_size=1, max_size=10))
        sentence = " ".join([words[0].capitalize(), *words[1:]]) + "."
        cited = draw(CITED)
        markers = ""
        if cited:
            joined = draw(st.sampled_from([", ", ",", "; ", "]["]))
            markers = " [" + joined.join(map(str, cited)) + "]"
        # Models write the marker before the full stop, and after the answer's last one.
        if i == count - 1 and draw(st.booleans()):
            text.append(sentence + markers)
        else:
            text.append(sentence[:-1] + markers + ".")
        expected.append((sentence, tuple(dict.fromkeys(cited))))
        written += cited
    return " ".join(text), expected, written


@settings(max_examples=100, deadline=None)
@given(answer=answers())
def test_citation_markers_parse_back_to_the_sentences_and_ids(
    answer: tuple[str, list[tuple[str, tuple[int, ...]]], list[int]],
) -> None:
    text, expected, written = answer
    # Each id once per sentence. (A marker left alone after a full stop, "Sanctions. [1, 1]", may
    # keep its repeat: the checker reads ids as a set, so only the order and set are compared.)
    parsed = [(sentence, tuple(dict.fromkeys(ids))) for sentence, ids in split_answer(text)]
    assert parsed == expected
    # Every id written is found by the marker pattern, and nothing else is.
    found = [int(n) for m in CITE_RE.finditer(text) for n in re.split(r"[,;]", m.group(1))]
    assert found == written
    assert "[" not in strip_citations(text)


def test_marker_after_a_full_stop_belongs_to_the_sentence_before() -> None:
    assert split_answer("Sanctions were lifted. [1] Ankara apologised.") == [
        ("Sanctions were lifted.", (1,)),
        ("Ankara apologised.", ()),
    ]


ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=40
) | st.lists(WORDS, max_size=8).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(text=ANY_TEXT)
def test_normalize_is_idempotent_and_leaves_only_words(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip() and "  " not in once
    assert tokens(text) == once.split()


@settings(max_examples=150, deadline=None)
@given(prediction=ANY_TEXT, golds=st.lists(ANY_TEXT, max_size=3))
def test_scores_are_bounded_and_an_answer_matches_itself(prediction: str, golds: list[str]) -> None:
    em, f1 = exact_match(prediction, golds), token_f1(prediction, golds)
    assert 0.0 <= em <= 1.0 and 0.0 <= f1 <= 1.0
    assert em <= f1 or em == 0.0  # an exact match has full token overlap
    said = bool(normalize(prediction))
    assert exact_match(prediction, [*golds, prediction]) == float(said)
    assert token_f1(prediction, [*golds, prediction]) == float(said)
    # Case, accents, punctuation and citation markers never change a score.
    noisy = f"“{prediction.upper()}” [3]."
    if normalize(noisy) == normalize(prediction):
        assert exact_match(noisy, golds) == em
