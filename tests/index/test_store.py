"""ChunkStore: documents appear whole or not at all, new versions replace old, stores stay apart."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.schema import MetadataMode, TextNode

from assistant.errors import StoreError
from assistant.settings import Settings
from index.chunking import Chunk, chunk_document
from index.loaders import Document, load_document
from index.nodes import META_KEYS, node_for_chunk
from index.store import ChunkStore

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
EN_SEED = SEEDS / "004_fc025db9153bd9ca.txt"
SV_SEED = SEEDS / "000_de2dd51f3474cc85.txt"
SANCTIONS = "The sanctions were eventually lifted in July 2016"

NOTE_V1 = (
    "# Harbour notes\n\n"
    "The ferry to Vaxholm leaves at nine every morning. Tickets cost forty kronor. "
    "The harbour master keeps a spare life jacket in the blue shed.\n\n"
    "In winter the ferry stops running when the ice is thicker than ten centimetres. "
    "A bus replaces it from December until March.\n"
)
NOTE_V2 = NOTE_V1.replace("nine every morning", "half past eight every morning") + (
    "\nFrom next year a second ferry will run on Sundays.\n"
)


def _chunks(doc: Document) -> list[Chunk]:
    # Small chunks so that even short test documents have several.
    return chunk_document(doc, chunk_tokens=24, overlap_tokens=6)


def _add(store: ChunkStore, doc: Document, embedder: Any) -> list[Chunk]:
    chunks = _chunks(doc)
    store.add(doc, chunks, embedder.get_text_embedding_batch([c.text for c in chunks]))
    return chunks


def _current(store: ChunkStore) -> list[TextNode]:
    """The chunk nodes of completely indexed documents (what retrieval may return)."""
    return list(store.iter_nodes())


def _raw_chunks(store: ChunkStore) -> dict[str, dict[str, Any]]:
    """Every chunk record in the Chroma collection, valid or not: id -> metadata."""
    collection = getattr(store._chunks, "_collection", store._chunks)  # unwrap _LimitedCollection
    got = collection.get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"], strict=True))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store(settings: Settings, chroma_client: Any, unique_collection: str) -> ChunkStore:
    return ChunkStore(settings, client=chroma_client, collection=unique_collection)


# -- adding and reading ----------------------------------------------------------------------


def test_added_documents_are_listed_with_their_details(store, fake_embedder):
    en, sv = load_document(EN_SEED), load_document(SV_SEED)
    before = datetime.now(UTC).replace(microsecond=0)
    en_chunks = _add(store, en, fake_embedder)
    sv_chunks = _add(store, sv, fake_embedder)

    listed = store.documents()
    assert [d.name for d in listed] == [SV_SEED.name, EN_SEED.name]  # sorted by file name
    stored_sv, stored_en = listed
    assert stored_en.doc_id == en.doc_id and stored_en.source == str(EN_SEED.resolve())
    assert (
        stored_en.title
        == "Ankara and Moscow Pledge Closer Ties After Russian Friendly Fire Kills 3"
    )
    assert stored_en.date is None
    assert stored_en.language == "en"
    assert stored_en.chunks == len(en_chunks) > 1
    assert (stored_en.file_hash, stored_en.content_hash) == (en.file_hash, en.content_hash)
    assert stored_sv.title is None and stored_sv.date == "2017-03" and stored_sv.language == "sv"
    assert stored_sv.chunks == len(sv_chunks) > 1
    indexed_at = datetime.fromisoformat(stored_en.indexed_at)
    assert before <= indexed_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert sum(d.chunks for d in listed) == len(en_chunks) + len(sv_chunks)
    assert len(_raw_chunks(store)) == len(en_chunks) + len(sv_chunks)
    assert store.get(en.doc_id) == stored_en
    assert store.get("0000000000000000") is None


def test_nodes_hold_exact_chunk_texts_and_metadata(store, fake_embedder, tmp_path):
    doc = load_document(_write(tmp_path / "notes.md", NOTE_V1))
    chunks = _add(store, doc, fake_embedder)
    assert len(chunks) > 2

    nodes = {n.node_id: n for n in _current(store)}
    assert set(nodes) == {c.id for c in chunks}
    assert store.get_nodes([chunks[1].id, "unknown", chunks[0].id]) == [
        nodes[chunks[1].id],
        nodes[chunks[0].id],
    ]
    for chunk in chunks:
        node = nodes[chunk.id]
        meta = node.metadata
        assert set(META_KEYS) <= set(meta)
        assert node.text == chunk.text == doc.text[meta["start"] : meta["end"]]
        assert 0 <= meta["start"] < meta["end"] <= len(doc.text)
        assert (node.start_char_idx, node.end_char_idx) == (meta["start"], meta["end"])
        assert meta["chunk_index"] == chunk.index
        assert meta["doc_id"] == node.ref_doc_id == doc.doc_id
        assert meta["content_hash"] == doc.content_hash
        assert meta["name"] == "notes.md" and meta["title"] == "Harbour notes"
        assert meta["date"] == "" and meta["language"] == "en"
        # Only the chunk text is embedded or shown; metadata stays out of both.
        assert node.get_content(MetadataMode.EMBED) == chunk.text
        assert node.get_content(MetadataMode.LLM) == chunk.text


def test_an_html_page_s_headings_are_stored_with_the_chunks_that_hold_them(
    store, fake_embedder, tmp_path
):
    body = " ".join(f"Sentence number {i} says a little more about packages." for i in range(30))
    page = _write(
        tmp_path / "page.html",
        f"<html><body><h2>Packages  <em>(apt)</em></h2><p>Co-author: Jane Doe</p><p>{body}</p>"
        f"<h3>Sources</h3><p>{body}</p></body></html>",
    )
    chunks = _add(store, load_document(page), fake_embedder)
    assert len(chunks) > 2
    nodes = sorted(_current(store), key=lambda n: n.metadata["start"])
    assert all(n.metadata["headings_marked"] is True for n in nodes)
    # "Co-author: Jane Doe" is no heading: the page does not mark it.
    assert nodes[0].metadata["headings"] == "Packages (apt)"
    for node in nodes:  # each chunk names the marked lines it holds, and only those
        lines = {" ".join(x.split()) for x in node.text.splitlines()}
        assert set(node.metadata["headings"].splitlines()) == lines & {"Packages (apt)", "Sources"}
    assert any("Sources" in n.metadata["headings"] for n in nodes)

    notes = {c.id for c in _add(store, load_document(_write(tmp_path / "n.md", NOTE_V1)),
                                fake_embedder)}  # fmt: skip
    ordered = sorted(_current(store), key=lambda n: n.metadata["start"])
    marks = [n.metadata["headings"] for n in ordered if n.node_id in notes]
    assert marks[0] == "# Harbour notes" and set(marks[1:]) <= {""}  # Markdown marks them too
    text = {c.id for c in _add(store, load_document(_write(tmp_path / "n.txt", NOTE_V1)),
                               fake_embedder)}  # fmt: skip
    for node in _current(store):
        if node.node_id in text:  # plain text marks none: its lines are judged by their looks
            assert (node.metadata["headings_marked"], node.metadata["headings"]) == (False, "")


def test_one_embedding_per_chunk_is_required(store, fake_embedder, tmp_path):
    doc = load_document(_write(tmp_path / "notes.md", NOTE_V1))
    chunks = _chunks(doc)
    with pytest.raises(ValueError, match="one embedding per chunk"):
        store.add(doc, chunks, fake_embedder.get_text_embedding_batch(["only one"]))
    assert store.documents() == [] and _raw_chunks(store) == {}


def test_new_version_replaces_the_old_chunks(store, fake_embedder, tmp_path):
    path = _write(tmp_path / "notes.md", NOTE_V1)
    v1 = load_document(path)
    v1_chunks = _add(store, v1, fake_embedder)
    generation = store.generation()

    v2 = load_document(_write(path, NOTE_V2))
    assert v2.doc_id == v1.doc_id and v2.content_hash != v1.content_hash
    v2_chunks = _add(store, v2, fake_embedder)

    assert store.generation() != generation
    raw = _raw_chunks(store)
    assert set(raw) == {c.id for c in v2_chunks}
    assert not set(raw) & {c.id for c in v1_chunks}  # no stale chunk left
    (stored,) = store.documents()
    assert stored.content_hash == v2.content_hash and stored.chunks == len(v2_chunks)
    texts = [n.text for n in _current(store)]
    assert any("half past eight" in t for t in texts)
    assert not any("at nine every" in t for t in texts)


def test_adding_the_same_version_again_changes_nothing(store, fake_embedder, tmp_path):
    doc = load_document(_write(tmp_path / "notes.md", NOTE_V1))
    chunks = _add(store, doc, fake_embedder)
    _add(store, doc, fake_embedder)
    assert set(_raw_chunks(store)) == {c.id for c in chunks}
    assert [d.chunks for d in store.documents()] == [len(chunks)]


def test_remove_drops_chunks_and_manifest_record(store, fake_embedder, tmp_path):
    keep = load_document(_write(tmp_path / "keep.md", NOTE_V1))
    drop = load_document(SV_SEED)
    keep_chunks = _add(store, keep, fake_embedder)
    drop_chunks = _add(store, drop, fake_embedder)
    generation = store.generation()

    assert store.remove(drop.doc_id) == len(drop_chunks)

    assert store.generation() != generation
    assert [d.doc_id for d in store.documents()] == [keep.doc_id]
    assert store.get(drop.doc_id) is None
    assert set(_raw_chunks(store)) == {c.id for c in keep_chunks}
    assert {n.metadata["doc_id"] for n in _current(store)} == {keep.doc_id}
    assert store.keyword_search(["sanktionerna"], 5) == []
    assert store.remove(drop.doc_id) == 0  # already gone


# -- interrupted ingests -----------------------------------------------------------------------


def _dead_pid() -> int:
    """The pid of a process that has exited: the owner of a write killed half-way."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _write_as(store: ChunkStore, doc: Document, embedder: Any, pid: int, monkeypatch) -> list:
    """Journal and write doc's chunks as process pid would, without committing them."""
    chunks = _chunks(doc)
    vectors = embedder.get_text_embedding_batch([c.text for c in chunks])
    nodes = [node_for_chunk(doc, c, v) for c, v in zip(chunks, vectors, strict=True)]
    with monkeypatch.context() as patch:
        patch.setattr("index.store._owner", lambda: f"{socket.gethostname()}:{pid}")
        store.begin([doc])
    store.write(nodes)
    return nodes


def test_chunks_of_a_killed_write_are_invisible_and_swept(
    store, fake_embedder, tmp_path, monkeypatch
):
    kept = load_document(_write(tmp_path / "kept.md", NOTE_V1))
    kept_chunks = _add(store, kept, fake_embedder)
    half = load_document(EN_SEED)
    half_nodes = _write_as(store, half, fake_embedder, _dead_pid(), monkeypatch)
    assert len(_raw_chunks(store)) == len(kept_chunks) + len(half_nodes)

    assert [d.doc_id for d in store.documents()] == [kept.doc_id]
    assert store.get(half.doc_id) is None
    assert {n.node_id for n in _current(store)} == {c.id for c in kept_chunks}
    assert store.fresh(half_nodes) == []

    assert store.sweep_orphans() == len(half_nodes)
    assert set(_raw_chunks(store)) == {c.id for c in kept_chunks}
    assert store.keywords.count() == len(kept_chunks)  # its BM25 rows went too
    assert store.sweep_orphans() == 0


def test_chunks_of_an_unrecorded_new_version_are_invisible_and_swept(
    store, fake_embedder, tmp_path, monkeypatch
):
    path = _write(tmp_path / "notes.md", NOTE_V1)
    v1 = load_document(path)
    v1_chunks = _add(store, v1, fake_embedder)
    # The ingest of v2 died after its chunks: the manifest still points at v1's content hash.
    v2 = load_document(_write(path, NOTE_V2))
    v2_nodes = _write_as(store, v2, fake_embedder, _dead_pid(), monkeypatch)

    (stored,) = store.documents()
    assert stored.content_hash == v1.content_hash and stored.chunks == len(v1_chunks)
    assert {n.node_id for n in _current(store)} == {c.id for c in v1_chunks}
    assert store.fresh(v2_nodes) == []

    assert store.sweep_orphans() == len(v2_nodes)
    assert set(_raw_chunks(store)) == {c.id for c in v1_chunks}


def test_the_sweep_leaves_a_live_process_s_write_alone(store, fake_embedder, monkeypatch):
    """Another process still writing: its chunks are uncommitted, not orphaned (issue 11)."""
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        nodes = _write_as(store, load_document(EN_SEED), fake_embedder, writer.pid, monkeypatch)
        assert store.sweep_orphans() == 0
        assert set(_raw_chunks(store)) == {n.node_id for n in nodes}
    finally:
        writer.kill()
        writer.wait()
    assert store.sweep_orphans() == len(nodes)  # once it is gone, they are


class _FailingUpsert:
    """Wraps a Chroma collection; upsert dies as a crash before the manifest write would."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def upsert(self, **kwargs: Any) -> None:
        raise RuntimeError("power cut")


def test_a_failed_manifest_write_keeps_the_old_version(store, fake_embedder, tmp_path, monkeypatch):
    path = _write(tmp_path / "notes.md", NOTE_V1)
    v1 = load_document(path)
    v1_chunks = _add(store, v1, fake_embedder)
    v2 = load_document(_write(path, NOTE_V2))

    with monkeypatch.context() as patch:
        patch.setattr(store, "_docs", _FailingUpsert(store._docs))
        with pytest.raises(RuntimeError, match="power cut"):
            _add(store, v2, fake_embedder)

    (stored,) = store.documents()
    assert stored.content_hash == v1.content_hash
    assert set(_raw_chunks(store)) == {c.id for c in v1_chunks}  # v2's chunks were dropped
    # Retrying the same version succeeds and leaves exactly its chunks.
    v2_chunks = _add(store, v2, fake_embedder)
    assert set(_raw_chunks(store)) == {c.id for c in v2_chunks}
    assert store.documents()[0].content_hash == v2.content_hash


def test_a_failed_write_of_the_same_text_keeps_the_chunks(
    store, fake_embedder, tmp_path, monkeypatch
):
    """A file whose bytes changed but whose cleaned text did not (e.g. only its footer)."""
    doc = load_document(_write(tmp_path / "notes.md", NOTE_V1))
    chunks = _add(store, doc, fake_embedder)
    same_text = dataclasses.replace(doc, file_hash="0" * 64)

    def crash(self: ChunkStore, nodes: list) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(ChunkStore, "write", crash)
        with pytest.raises(RuntimeError, match="power cut"):
            _add(store, same_text, fake_embedder)

    assert [d.chunks for d in store.documents()] == [len(chunks)]
    assert {n.node_id for n in _current(store)} == {c.id for c in chunks}
    assert store.keywords.count() == len(chunks)


def test_a_sweep_during_an_add_does_not_delete_the_new_chunks(
    store, fake_embedder, tmp_path, monkeypatch
):
    """A sweep from another thread must not judge chunks written before their manifest record."""
    doc = load_document(_write(tmp_path / "notes.md", NOTE_V1))
    original_write = ChunkStore.write
    sweeps: list[threading.Thread] = []

    def write_then_sweep_elsewhere(self: ChunkStore, nodes: list) -> None:
        original_write(self, nodes)
        sweep = threading.Thread(target=store.sweep_orphans)
        sweep.start()
        sweep.join(timeout=10)
        sweeps.append(sweep)

    monkeypatch.setattr(ChunkStore, "write", write_then_sweep_elsewhere)
    chunks = _add(store, doc, fake_embedder)
    assert not sweeps[0].is_alive()

    assert [d.chunks for d in store.documents()] == [len(chunks)]
    assert {n.node_id for n in _current(store)} == {c.id for c in chunks}


# -- scale: batches below Chroma's SQLite variable limit, BM25 kept in step -------------------


class _LimitedCollection:
    """A Chroma collection that fails like Chroma's SQLite past `limit` variables, in small."""

    def __init__(self, collection: Any, limit: int, calls: list[int]) -> None:
        self._collection, self._limit, self._calls = collection, limit, calls

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def _check(self, ids: Any) -> None:
        if ids is not None:
            self._calls.append(len(ids))
            if len(ids) > self._limit:
                raise RuntimeError("too many SQL variables")

    def get(self, ids: Any = None, **kwargs: Any) -> Any:
        self._check(ids)
        got = self._collection.get(ids=ids, **kwargs)
        # Reading metadata or text of more rows than the limit binds one variable per row.
        if set(kwargs.get("include", ["metadatas"])) - {"embeddings"}:
            self._check(got["ids"])
        return got

    def delete(self, ids: Any = None, **kwargs: Any) -> Any:
        self._check(ids)
        return self._collection.delete(ids=ids, **kwargs)

    def upsert(self, ids: Any, **kwargs: Any) -> Any:
        self._check(ids)
        return self._collection.upsert(ids=ids, **kwargs)


class _LimitedClient:
    def __init__(self, client: Any, limit: int) -> None:
        self._client, self._limit, self.calls = client, limit, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_or_create_collection(self, *args: Any, **kwargs: Any) -> Any:
        collection = self._client.get_or_create_collection(*args, **kwargs)
        return _LimitedCollection(collection, self._limit, self.calls)


def test_every_read_write_and_delete_over_many_ids_is_batched(
    settings, chroma_client, unique_collection, fake_embedder, tmp_path
):
    """Chroma's SQLite refuses more than 32,766 variables; here the limit is 10 and batches 7.

    The old store read every chunk in one call (`nodes()`), as BM25 start-up did, and failed
    with "too many SQL variables" at 36k chunks; every call below would exceed the limit.
    """
    limited = _LimitedClient(chroma_client, limit=10)
    small = settings.model_copy(update={"store_batch": 7})
    store = ChunkStore(small, client=limited, collection=unique_collection)
    docs = [load_document(_write(tmp_path / f"n{i:02}.md", NOTE_V1 + f"\nNote {i}.\n"))
            for i in range(12)]  # fmt: skip
    big = load_document(EN_SEED)
    big_chunks = _add(store, big, fake_embedder)
    assert len(big_chunks) > 10
    for doc in docs:
        _add(store, doc, fake_embedder)

    assert len(store.documents()) == 13  # the manifest read in batches
    nodes = list(store.iter_nodes(committed=False))
    assert len(nodes) == len(_raw_chunks(store)) > 40
    assert len(store.fresh(nodes)) == len(nodes)
    assert len(store.get_nodes([n.node_id for n in nodes])) == len(nodes)
    assert store.sync_keywords() == 0
    store.keywords.clear()  # as after a crash between the two writes, or an old store
    store._synced = None
    assert store.sync_keywords() == 13 and store.keywords.count() == len(nodes)

    assert store.remove(big.doc_id) == len(big_chunks)
    assert not {c.id for c in big_chunks} & set(_raw_chunks(store))
    bigger = dataclasses.replace(big, content_hash="f" * 64)  # a new version: old chunks go
    _add(store, bigger, fake_embedder)
    _add(store, dataclasses.replace(bigger, content_hash="e" * 64), fake_embedder)
    assert store.manifest([big.doc_id]) == {big.doc_id: "e" * 64}
    hashes = {m["content_hash"] for m in _raw_chunks(store).values() if m["doc_id"] == big.doc_id}
    assert hashes == {"e" * 64}
    assert limited.calls and max(limited.calls) <= 7


def test_bm25_follows_documents_written_by_another_process(
    store, settings, chroma_client, unique_collection, fake_embedder, tmp_path
):
    """Two processes, one Chroma server, each its own data_dir: BM25 reconciles by generation."""
    other = ChunkStore(
        settings.model_copy(update={"data_dir": tmp_path / "elsewhere"}),
        client=chroma_client,
        collection=unique_collection,
    )
    doc = load_document(EN_SEED)
    _add(other, doc, fake_embedder)
    hits = store.keyword_search(["sanctions", "lifted"], 3)
    assert hits and {h.doc_id for h in hits} == {doc.doc_id}
    assert store.sync_keywords() == 0  # nothing changed since: one read, no work

    other.remove(doc.doc_id)
    assert store.keyword_search(["sanctions", "lifted"], 3) == []


# -- configuration and data directories ------------------------------------------------------


def test_collection_uses_cosine_distance(store, fake_embedder):
    assert store._chunks.configuration["hnsw"]["space"] == "cosine"
    doc = load_document(EN_SEED)
    chunks = _add(store, doc, fake_embedder)
    # Cosine ignores length: a scaled copy of a chunk's vector is at distance 0 from it
    # (squared L2, Chroma's default, would put it at 16 for these unit vectors).
    vector = [5.0 * x for x in fake_embedder.get_text_embedding(chunks[1].text)]
    found = store._chunks.query(query_embeddings=[vector], n_results=1, include=["distances"])
    assert found["ids"][0] == [chunks[1].id]
    assert found["distances"][0][0] == pytest.approx(0.0, abs=1e-4)


def test_data_directories_are_independent_and_persistent(tmp_path, fake_embedder):
    settings_a = Settings(data_dir=tmp_path / "a")
    settings_b = Settings(data_dir=tmp_path / "b")
    store_a, store_b = ChunkStore(settings_a), ChunkStore(settings_b)
    doc_a = load_document(EN_SEED)
    doc_b = load_document(_write(tmp_path / "notes.md", NOTE_V1))
    chunks_a = _add(store_a, doc_a, fake_embedder)
    _add(store_b, doc_b, fake_embedder)

    assert [d.doc_id for d in store_a.documents()] == [doc_a.doc_id]
    assert [d.doc_id for d in store_b.documents()] == [doc_b.doc_id]
    assert {n.metadata["doc_id"] for n in _current(store_a)} == {doc_a.doc_id}
    assert {n.metadata["doc_id"] for n in _current(store_b)} == {doc_b.doc_id}
    assert (tmp_path / "a" / "chroma").is_dir() and (tmp_path / "b" / "chroma").is_dir()

    # Close the clients so that re-opening reads from disk rather than a cached in-process system.
    store_a._client.close()
    store_b._client.close()
    reopened = ChunkStore(settings_a)
    try:
        assert [d.doc_id for d in reopened.documents()] == [doc_a.doc_id]
        assert {n.node_id for n in _current(reopened)} == {c.id for c in chunks_a}
        assert reopened.keyword_search(["sanctions"], 1)  # the BM25 file persisted too
        assert reopened._chunks.configuration["hnsw"]["space"] == "cosine"
    finally:
        reopened._client.close()


def test_unusable_data_dir_raises_store_error(tmp_path):
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        ChunkStore(Settings(data_dir=blocker / "data"))
    message = str(caught.value)
    assert str(blocker / "data") in message
    assert "writable" in message and "ASSISTANT_DATA_DIR" in message


def test_invalid_collection_name_raises_store_error(settings, chroma_client):
    with pytest.raises(StoreError, match="ASSISTANT_COLLECTION"):
        ChunkStore(settings, client=chroma_client, collection="x")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_chroma_server_raises_store_error_quickly(monkeypatch):
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", url)
    started = time.perf_counter()
    with pytest.raises(StoreError) as caught:
        ChunkStore(Settings())
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert url in message and "chroma run" in message and "ASSISTANT_CHROMA_URL" in message


# -- a real Chroma server (the chroma_server fixture is in tests/conftest.py) -----------------


@pytest.mark.server
def test_ingest_and_retrieve_through_a_chroma_server(chroma_server, fake_embedder, fake_llm):
    from assistant.retrieval import HybridRetriever, query_bundle
    from index.ingest import ingest

    settings = Settings(chroma_url=chroma_server)
    started = time.perf_counter()
    store = ChunkStore(settings)
    assert store._client.get_settings().chroma_api_impl.endswith("FastAPI")  # HTTP, not embedded
    assert store._chunks.configuration["hnsw"]["space"] == "cosine"

    report = ingest([SEEDS], store=store, embedder=fake_embedder, settings=settings)
    assert sorted(Path(p).name for p in report.added) == [SV_SEED.name, EN_SEED.name]
    assert report.failed == ()
    assert sum(d.chunks for d in store.documents()) == report.chunks == len(_current(store))

    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=4)
    found = retriever.retrieve(query_bundle("When were the sanctions lifted?"))
    assert found and fake_llm.prompts == []
    hits = [n.node for n in found if SANCTIONS in n.node.get_content()]
    assert hits, [n.node.get_content()[:80] for n in found]
    assert hits[0].metadata["name"] == EN_SEED.name
    doc = load_document(EN_SEED)
    assert doc.text[hits[0].metadata["start"] : hits[0].metadata["end"]] == hits[0].get_content()
    assert not (settings.data_dir / "chroma").exists()  # nothing went to the embedded store
    print(f"server ingest + query in {time.perf_counter() - started:.1f} s")

    # A second store over the same server sees the same documents (the data lives in the server).
    again = ingest([SEEDS], store=ChunkStore(settings), embedder=fake_embedder, settings=settings)
    assert len(again.unchanged) == 2 and again.added == ()


def test_an_index_knows_its_embedder(store):
    store.check_embedder("minilm")  # nothing recorded yet: reading is allowed, nothing written
    store.check_embedder("minilm", record=True)
    store.check_embedder("minilm")
    store.check_embedder("gemma")  # an empty index may still change its embedder
    store.check_embedder("gemma", record=True)
    store.check_embedder("gemma")
