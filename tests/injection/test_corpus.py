"""The injection corpus against the safety functions and the loaders, without models.

Each payload sentence of a poisoned document must be recognised as addressed to the assistant
(assistant.safety), or not be in the loaded text at all (hidden HTML, index.loaders).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.safety import injected_spans, is_instruction, neutralize
from index.chunking import split_sentences
from index.loaders import load_document
from tests.injection.corpus import DOCS, HIDDEN_HTML, PAYLOADS, poisoned

VISIBLE = [p for p in poisoned() if p.name not in HIDDEN_HTML]


def sentences(path: Path) -> tuple[str, list[tuple[int, int]], str]:
    doc = load_document(path)
    return doc.text, split_sentences(doc.text), doc.language


def test_the_corpus_has_every_kind_of_poison():
    docs = poisoned()
    assert len(docs) >= 12
    assert {p.suffix for p in docs} >= {".txt", ".md", ".html", ".pdf"}
    languages = {load_document(p).language for p in docs}
    assert {"en", "sv"} <= languages
    texts = " ".join(p.read_bytes().decode("utf-8", "replace") for p in docs)
    for kind in ("<|im_start|>", "display:none", "Sources:", "Answer:", "[1]", "Ignorera"):
        assert kind in texts, kind


@pytest.mark.parametrize("path", VISIBLE, ids=lambda p: p.name)
def test_every_payload_sentence_is_caught(path: Path):
    text, spans, language = sentences(path)
    flagged = injected_spans(text, language)
    carrying = [(s, e) for s, e in spans if any(p in text[s:e] for p in PAYLOADS)]
    assert carrying, f"{path.name} lost its payload on loading"
    for start, end in carrying:
        sentence = text[start:end]
        overlaps = any(a < end and start < b for a, b in flagged)
        assert is_instruction(sentence, language) or overlaps, sentence


@pytest.mark.parametrize("name", HIDDEN_HTML)
def test_hidden_html_is_not_indexed(name: str):
    text = load_document(DOCS / name).text
    assert not [p for p in PAYLOADS if p in text], text


@pytest.mark.parametrize("path", poisoned(), ids=lambda p: p.name)
def test_neutralized_sentences_carry_no_prompt_structure(path: Path):
    text, spans, _ = sentences(path)
    for start, end in spans:
        line = neutralize(text[start:end])
        assert "\n" not in line and "<|" not in line and "|>" not in line
        assert not any(f"[{n}]" in line for n in range(10))
