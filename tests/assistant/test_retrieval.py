"""HybridRetriever: dense + persisted BM25, current documents only, nothing read in full."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.retrieval import HybridRetriever, KeywordRetriever, query_bundle
from assistant.settings import Settings
from index.chunking import chunk_document
from index.ingest import ingest
from index.loaders import load_document
from index.nodes import node_for_chunk
from index.store import ChunkStore

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
NOTES = {
    "ferry.txt": "The ferry to Vaxholm leaves at nine every morning from the north quay.\n\n"
    "Tickets cost forty kronor and are sold on board.\n",
    "library.txt": "The library opens at ten on weekdays and closes early on Fridays.\n\n"
    "Overdue books cost two kronor a day.\n",
    "bakery.txt": "The bakery on the corner sells cardamom buns every Thursday.\n\n"
    "It closes for the summer in July.\n",
}


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store(settings: Settings, chroma_client: Any, unique_collection: str) -> ChunkStore:
    return ChunkStore(settings, client=chroma_client, collection=unique_collection)


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    for name, text in NOTES.items():
        _write(tmp_path / "notes", name, text)
    return tmp_path / "notes"


def _retrieve(retriever: HybridRetriever, question: str) -> list[Any]:
    return [hit.node for hit in retriever.retrieve(query_bundle(question))]


def test_both_retrievers_find_the_document_and_fusion_keeps_it_first(
    store, notes, settings, fake_embedder, fake_llm
):
    ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=2)
    bundle = query_bundle("When does the ferry to Vaxholm leave?")

    keyword = retriever.keyword.retrieve(bundle)
    dense = retriever.dense.retrieve(bundle)
    fused = retriever.retrieve(bundle)

    for hits in (keyword, dense, fused):
        assert hits[0].node.metadata["name"] == "ferry.txt"
    assert keyword[0].score > 0 and len(keyword) <= 2
    assert fake_llm.prompts == []  # fusion generates no extra queries


def test_a_removed_document_is_never_retrieved(store, notes, settings, fake_embedder, fake_llm):
    ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=6)
    assert "ferry.txt" in {n.metadata["name"] for n in _retrieve(retriever, "ferry Vaxholm")}

    ferry = next(d for d in store.documents() if d.name == "ferry.txt")
    store.remove(ferry.doc_id)

    found = _retrieve(retriever, "ferry Vaxholm")
    assert found  # the other notes still come back ...
    assert "ferry.txt" not in {n.metadata["name"] for n in found}  # ... the removed one never
    assert not retriever.keyword.retrieve(query_bundle("Vaxholm"))


def test_an_edited_file_is_retrieved_only_in_its_new_version(
    store, notes, settings, fake_embedder, fake_llm
):
    ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=6)
    assert any("nine every morning" in n.get_content() for n in _retrieve(retriever, "ferry"))

    _write(notes, "ferry.txt", NOTES["ferry.txt"].replace("nine", "half past seven"))
    report = ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    assert report.updated and len(report.unchanged) == 2

    texts = [n.get_content() for n in _retrieve(retriever, "When does the ferry leave?")]
    assert any("half past seven every morning" in t for t in texts)
    assert not any("nine every morning" in t for t in texts)
    assert not retriever.keyword.retrieve(query_bundle("nine"))


def test_an_uncommitted_write_is_not_retrieved(store, notes, settings, fake_embedder, fake_llm):
    """Chunks written but not committed (an ingest in progress) rank, and are filtered out."""
    ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    doc = load_document(_write(notes, "draft.txt", "The ferry timetable draft moves Vaxholm."))
    chunks = chunk_document(doc)
    vectors = fake_embedder.get_text_embedding_batch([c.text for c in chunks])
    store.begin([doc])
    store.write([node_for_chunk(doc, c, v) for c, v in zip(chunks, vectors, strict=True)])
    assert any(h.doc_id == doc.doc_id for h in store.keyword_search(["draft"], 5))

    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=6)
    found = _retrieve(retriever, "ferry timetable draft Vaxholm")
    assert found and doc.doc_id not in {n.metadata["doc_id"] for n in found}
    store.discard([doc.doc_id])


class _NoFullReads:
    """A Chroma collection that fails any read of more than `limit` rows, as SQLite does at
    32,766 variables (the old retriever read every chunk to build BM25 and failed at 36k)."""

    def __init__(self, collection: Any, limit: int) -> None:
        self._collection, self._limit = collection, limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def get(self, ids: Any = None, **kwargs: Any) -> Any:
        got = self._collection.get(ids=ids, **kwargs)
        if set(kwargs.get("include", ["metadatas", "documents"])) and len(got["ids"]) > self._limit:
            raise RuntimeError("too many SQL variables")
        return got


class _Client:
    def __init__(self, client: Any, limit: int) -> None:
        self._client, self._limit = client, limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_or_create_collection(self, *args: Any, **kwargs: Any) -> Any:
        return _NoFullReads(self._client.get_or_create_collection(*args, **kwargs), self._limit)


def test_retrieval_never_reads_the_whole_store(
    settings, chroma_client, unique_collection, fake_embedder, fake_llm
):
    small = settings.model_copy(update={"store_batch": 8})
    store = ChunkStore(small, client=_Client(chroma_client, limit=10), collection=unique_collection)
    report = ingest([SEEDS], store=store, embedder=fake_embedder, settings=small)
    assert report.chunks > 10  # more chunks than any one read may return

    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=4)
    found = _retrieve(retriever, "When were the sanctions lifted?")
    assert any("lifted in July 2016" in n.get_content() for n in found)


def test_keyword_retriever_skips_stopwords_and_empty_queries(store, notes, settings, fake_embedder):
    ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    keyword = KeywordRetriever(store, top_k=3)
    assert keyword.retrieve(query_bundle("what is the")) == []  # only stopwords
    hits = keyword.retrieve(query_bundle("What do the cardamom buns cost?"))
    assert hits and hits[0].node.metadata["name"] == "bakery.txt"


def test_a_follow_up_searches_for_the_question_before_it_too(
    store, notes, settings, fake_embedder, fake_llm
):
    """A follow-up the model could not rewrite ("When does it close?") retrieves with the
    question before it as well; the question itself stays the first line."""
    ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=1)
    before = "Tell me about the bakery on the corner."
    bundle = query_bundle("When does it close?", before)
    assert bundle.query_str.splitlines() == ["When does it close?", before]
    assert bundle.embedding_strs == ["When does it close?", before]
    assert query_bundle("When does it close?").embedding_strs == ["When does it close?"]
    assert retriever.dense.retrieve(bundle)[0].node.metadata["name"] == "bakery.txt"


def test_each_retriever_returns_top_k_and_the_dense_one_twice_as_many(
    store, notes, settings, fake_embedder, fake_llm
):
    """top_k bounds what BM25 and the fusion return; dense search over-fetches (2 × top_k) so
    that hits of removed documents can be dropped and enough remain."""
    ingest([notes], store=store, embedder=fake_embedder, settings=settings)
    retriever = HybridRetriever(store, fake_embedder, fake_llm, top_k=1)
    bundle = query_bundle("Which one closes early and what do the tickets and books cost?")
    assert len(retriever.keyword.retrieve(bundle)) == 1
    assert len(retriever.dense.retrieve(bundle)) == 2
    assert len(retriever.retrieve(bundle)) == 1
