"""Answers come from the documents as they are now: after `remove`, an edit, or an addition."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Answer, Assistant, Settings
from index.store import ChunkStore

QUESTION = "What do adult tickets to the harbour museum cost?"
OLD = "Adult tickets to the harbour museum cost 40 kronor, children enter free."
NEW = "Adult tickets to the harbour museum cost 55 kronor, children enter free."
OTHER = "The town library lends bicycles to students during the summer months."


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "museum.txt").write_text(f"Harbour museum\n\n{OLD}\nIt opens at nine.\n")
    (docs / "library.txt").write_text(f"Town library\n\n{OTHER}\n")
    return docs


@pytest.fixture(params=["clean", "leftovers"])
def assistant(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, settings: Settings,
    fake_llm, fake_embedder, chroma_client, unique_collection: str, folder: Path,
) -> Assistant:  # fmt: skip
    if request.param == "leftovers":
        # A process that died between the commit point and the clean-up leaves the chunks of
        # removed and replaced versions in the store: the retriever must never return them.
        monkeypatch.setattr(ChunkStore, "_delete_chunks", lambda self, doc_id, keep_hash: 0)
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    a = Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)
    report = a.ingest([folder])
    assert len(report.added) == 2 and not report.failed
    return a


def quotes(answer: Answer) -> str:
    return " ".join(c.quote for c in answer.citations)


def ask_first(a: Assistant, fake_llm) -> None:
    """Ask once from the original documents, so every cache the engine keeps is warm."""
    fake_llm.queue("Adult tickets cost 40 kronor [1].")
    answer = a.ask(QUESTION)
    assert "40 kronor" in answer.text and "40 kronor" in quotes(answer)
    assert [c.name for c in answer.citations] == ["museum.txt"]


def test_a_removed_document_is_never_cited(assistant: Assistant, fake_llm) -> None:
    ask_first(assistant, fake_llm)
    assistant.remove("museum.txt")
    seen = len(fake_llm.prompts)
    # The model repeats what it read before, if it is asked: refusing without asking is right too.
    fake_llm.queue("Adult tickets cost 40 kronor [1].")
    answer = assistant.ask(QUESTION)
    fake_llm.discard_unused()
    assert "40 kronor" not in answer.text
    assert all(c.name != "museum.txt" for c in answer.citations)
    assert all(OLD not in prompt for prompt in fake_llm.prompts[seen:])  # nor shown to the model


def test_an_edited_document_is_cited_as_it_is_now(
    assistant: Assistant, fake_llm, folder: Path
) -> None:
    ask_first(assistant, fake_llm)
    # A new title moves the sentence: no sentence of the new text starts where the old one did.
    (folder / "museum.txt").write_text(f"Harbour museum, Old Town\n\n{NEW}\n")
    report = assistant.ingest([folder])
    assert [Path(p).name for p in report.updated] == ["museum.txt"]
    seen = len(fake_llm.prompts)
    fake_llm.queue("Adult tickets cost 55 kronor [1].")
    answer = assistant.ask(QUESTION)
    assert "55 kronor" in answer.text and "55 kronor" in quotes(answer)
    assert "40 kronor" not in answer.text + quotes(answer)
    assert all(OLD not in prompt for prompt in fake_llm.prompts[seen:])


def test_a_document_added_after_a_question_is_found(
    assistant: Assistant, fake_llm, folder: Path
) -> None:
    ask_first(assistant, fake_llm)
    (folder / "ferry.txt").write_text(
        "Ferry timetable\n\nThe island ferry leaves the north pier every 20 minutes.\n"
    )
    assert [Path(p).name for p in assistant.ingest([folder]).added] == ["ferry.txt"]
    fake_llm.queue("The ferry leaves every 20 minutes [1].")
    answer = assistant.ask("How often does the island ferry leave the north pier?")
    assert not answer.refused and "20 minutes" in answer.text
    assert [c.name for c in answer.citations] == ["ferry.txt"]
