"""Ingest rounds: a failure in a later round surfaces as itself and loses nothing committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.settings import Settings
from index.errors import StoreError
from index.ingest import ingest
from index.store import ChunkStore

NOTE = (
    "The ferry to Vaxholm leaves at nine every morning. Tickets cost forty kronor.\n\n"
    "In winter a bus replaces the ferry from December until March.\n"
)


class Embedder(BaseEmbedding):
    """The fake embedder, counting texts; fails once fail_after texts are embedded."""

    inner: Any = None
    fail_after: int | None = None
    _count: int = PrivateAttr(default=0)

    @property
    def count(self) -> int:
        return self._count

    def _get_text_embedding(self, text: str) -> list[float]:
        if self.fail_after is not None and self._count >= self.fail_after:
            raise RuntimeError("embedder crashed")
        self._count += 1
        return self.inner.get_text_embedding(text)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self.inner.get_query_embedding(query)


class Recording:
    """Wraps a store's write and commit: records the calls and can fail one of them."""

    def __init__(self, store: ChunkStore) -> None:
        self.store = store
        self.calls: list[tuple[str, set[str]]] = []  # (kind, doc ids)
        self.fail_write_at: int | None = None  # the index of the write call that raises
        self.fail_commit_at: int | None = None
        self._write, self._commit = store.write, store.commit
        store.write = self.write  # type: ignore[method-assign]
        store.commit = self.commit  # type: ignore[method-assign]

    def _calls(self, kind: str) -> int:
        return sum(1 for k, _ in self.calls if k == kind)

    def write(self, nodes: Any) -> None:
        index = self._calls("write")
        self.calls.append(("write", {n.metadata["doc_id"] for n in nodes}))
        if index == self.fail_write_at:
            self._write(nodes[:1])  # cut short: part of the batch is in Chroma already
            raise StoreError("the disk is full: free space in the data folder")
        self._write(nodes)

    def commit(self, docs: Any) -> None:
        index = self._calls("commit")
        self.calls.append(("commit", {d.doc_id for d, _ in docs}))
        if index == self.fail_commit_at:
            raise StoreError("the Chroma server went away: start it again")
        self._commit(docs)


@pytest.fixture
def store(settings: Settings, chroma_client: Any, unique_collection: str) -> ChunkStore:
    return ChunkStore(settings, client=chroma_client, collection=unique_collection)


@pytest.fixture
def small(settings: Settings) -> Settings:
    """Rounds of about 6 chunks, embedded 3 at a time: many rounds from a few notes."""
    ingest_settings = settings.ingest.model_copy(
        update={"write_batch": 6, "embed_batch": 3, "read_ahead_chunks": 4}
    )
    return settings.model_copy(update={"ingest": ingest_settings})


@pytest.fixture
def notes(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "notes"
    folder.mkdir()
    paths = []
    for i in range(12):
        path = folder / f"note{i:02}.txt"
        path.write_text(f"Note {i}. {NOTE}" * 3, encoding="utf-8")
        paths.append(path)
    return paths


def _stored_chunks(store: ChunkStore) -> set[str]:
    return set(store._chunks.get(include=[])["ids"])


def _committed_chunks(store: ChunkStore) -> set[str]:
    return {n.node_id for n in store.iter_nodes()}


def _journal(store: ChunkStore) -> list[str]:
    return [i for i in store._state.get(include=[])["ids"] if i.startswith("pending:")]


@pytest.mark.parametrize("failing", ["write", "commit"])
def test_a_store_failure_surfaces_as_itself_and_keeps_the_rounds_before(
    store, fake_embedder, small, notes, failing
):
    recording = Recording(store)
    at = 1 if failing == "write" else 2  # the second round's write, the third round's commit
    if failing == "write":
        recording.fail_write_at = at
    else:
        recording.fail_commit_at = at
    message = "disk is full" if failing == "write" else "server went away"

    with pytest.raises(StoreError, match=message) as raised:
        ingest(notes, store=store, embedder=Embedder(inner=fake_embedder), settings=small)

    assert str(raised.value).startswith("the ")  # the store's own message, not a wrapper
    failed_at = [i for i, (kind, _) in enumerate(recording.calls) if kind == failing][at]
    assert recording.calls[failed_at + 1 :] == []  # nothing is written after the failure
    committed = {d.doc_id for d in store.documents()}
    assert committed == set().union(
        *(ids for kind, ids in recording.calls[:failed_at] if kind == "commit")
    )
    assert committed and len(committed) < len(notes)
    assert _stored_chunks(store) == _committed_chunks(store)  # the failed round left nothing
    assert _journal(store) == []

    report = ingest(notes, store=store, embedder=Embedder(inner=fake_embedder), settings=small)
    assert len(report.unchanged) == len(committed) and len(report.added) == 12 - len(committed)


def test_an_embedder_crash_in_a_later_round_keeps_the_rounds_before(
    store, fake_embedder, small, notes
):
    recording = Recording(store)
    crashing = Embedder(inner=fake_embedder, fail_after=14)

    with pytest.raises(RuntimeError, match="embedder crashed"):
        ingest(notes, store=store, embedder=crashing, settings=small)

    committed = {d.doc_id for d in store.documents()}
    assert committed and len(committed) < len(notes)
    assert committed == set().union(*(ids for kind, ids in recording.calls if kind == "commit"))
    assert _stored_chunks(store) == _committed_chunks(store)
    assert _journal(store) == []


@pytest.mark.parametrize("trim", [True, False])
def test_freed_memory_is_returned_after_each_embedded_batch_unless_turned_off(
    store, fake_embedder, small, notes, monkeypatch, trim
):
    events: list[str] = []
    batch = Embedder.get_text_embedding_batch

    def embed(self: Embedder, texts: list[str], **kw: Any) -> list[list[float]]:
        events.append("embed")
        return batch(self, texts, **kw)

    monkeypatch.setattr(Embedder, "get_text_embedding_batch", embed)
    monkeypatch.setattr("index.ingest.return_freed_memory", lambda: events.append("trim"))
    settings = small.model_copy(
        update={"ingest": small.ingest.model_copy(update={"trim_memory": trim})}
    )

    ingest(notes, store=store, embedder=Embedder(inner=fake_embedder), settings=settings)

    assert events.count("embed") > 4  # 12 notes in rounds of ~6 chunks, 3 chunks per batch
    each_batch = ["embed", "trim"] if trim else ["embed"]
    assert events == each_batch * events.count("embed")
