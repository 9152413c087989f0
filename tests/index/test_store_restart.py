"""Restarting on a large store: the BM25 file is not reconciled again with the whole manifest
when nothing changed since the last process reconciled it, and is when anything did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from index.chunking import chunk_document
from index.loaders import Document, load_document
from index.store import ChunkStore

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
EN_SEED = SEEDS / "004_fc025db9153bd9ca.txt"
SV_SEED = SEEDS / "000_de2dd51f3474cc85.txt"


def _add(store: ChunkStore, doc: Document, embedder: Any) -> None:
    chunks = chunk_document(doc, chunk_tokens=24, overlap_tokens=6)
    store.add(doc, chunks, embedder.get_text_embedding_batch([c.text for c in chunks]))


@pytest.fixture
def open_store(settings: Settings, chroma_client: Any, unique_collection: str) -> Any:
    """A new ChunkStore on the same store and BM25 file each call: a process restarting."""
    opened: list[ChunkStore] = []

    def open_() -> ChunkStore:
        store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        if store._keywords is not None:
            store._keywords.close()


def _count_manifest_reads(store: ChunkStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    original = store.manifest

    def manifest(doc_ids: Any = None) -> dict[str, str]:
        if doc_ids is None:
            reads.append(1)
        return original(doc_ids)

    monkeypatch.setattr(store, "manifest", manifest)
    return reads


def test_a_restart_on_an_unchanged_store_does_not_read_the_whole_manifest(
    open_store, fake_embedder, monkeypatch
):
    first = open_store()
    _add(first, load_document(EN_SEED), fake_embedder)
    assert first.sync_keywords() == 0  # its own writes are in the file: nothing to redo

    again = open_store()
    reads = _count_manifest_reads(again, monkeypatch)
    hits = again.keyword_search(["sanctions", "lifted"], 3)
    assert hits and not reads


def test_a_restart_after_another_process_wrote_reconciles(
    open_store, settings, chroma_client, unique_collection, fake_embedder, tmp_path
):
    first = open_store()
    _add(first, load_document(EN_SEED), fake_embedder)
    first.sync_keywords()
    # Another machine's process (its own BM25 file) adds a document to the shared store.
    other = ChunkStore(
        settings.model_copy(update={"data_dir": tmp_path / "elsewhere"}),
        client=chroma_client,
        collection=unique_collection,
    )
    swedish = load_document(SV_SEED)
    _add(other, swedish, fake_embedder)

    again = open_store()
    assert again.sync_keywords() == 1
    assert again.keywords.documents().keys() == {d.doc_id for d in again.documents()}


def test_a_write_cut_short_before_the_final_generation_still_reconciles(
    open_store, fake_embedder, monkeypatch
):
    first = open_store()
    _add(first, load_document(EN_SEED), fake_embedder)
    first.sync_keywords()
    # A process dies after the manifest record is written, before the generation's last change
    # and before its BM25 rows are in this file (another machine's process, say).
    swedish = load_document(SV_SEED)
    writer = open_store()
    monkeypatch.setattr(writer, "_end", lambda *a, **k: None)
    monkeypatch.setattr(writer.keywords, "add", lambda rows: None)
    monkeypatch.setattr(writer.keywords, "commit", lambda documents: None)
    _add(writer, swedish, fake_embedder)

    again = open_store()
    assert again.sync_keywords() == 1
    assert swedish.doc_id in again.keywords.documents()


def test_any_write_to_the_bm25_file_forgets_the_reconciliation(open_store, fake_embedder):
    store = open_store()
    _add(store, load_document(EN_SEED), fake_embedder)
    store.sync_keywords()
    generation = store.generation()
    store.keywords.mark_synced(generation)
    assert store.keywords.synced_generation() == generation
    store.keywords.clear()  # as after a crash between the two writes
    assert store.keywords.synced_generation() is None
    again = open_store()
    assert again.sync_keywords() == 1


def test_has_documents_reads_one_record(open_store, fake_embedder, tmp_path):
    store = open_store()
    assert not store.has_documents()
    _add(store, load_document(EN_SEED), fake_embedder)
    assert store.has_documents()
    store.remove(store.documents()[0].doc_id)
    assert not store.has_documents()
