"""Retrieval: dense (Chroma) and BM25 retrievers fused by reciprocal rank, via llama-index."""

from __future__ import annotations

import threading

from llama_index.core import VectorStoreIndex
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters
from llama_index.retrievers.bm25 import BM25Retriever

from index.store import ChunkStore

# English and Swedish function words: BM25 should match on names, numbers and content words,
# and bm25s only ships single-language lists, while our corpora mix the two.
STOPWORDS = frozenset(
    """a about after again all also an and any are as at be because been before being between
    both but by can could did do does during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not of
    off on once only or other our out over own same she should so some such than that the their
    them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your
    alla allt att av blev bli blir de dem den denna deras dess det detta dig din du där efter
    eller en er ett från för ha hade han hans har hon hur här i inte jag kan man med mellan men
    mig min mot mycket många ni nu när och om oss på sedan sig sin sina själv skulle som så till
    under upp ut utan vad var vem vi vid vilka vilken vill varför åt än är över""".split()
)

CROSS_LANGUAGE_DEPTH = 3  # retrieve this many times more chunks from another language


def query_bundle(
    question: str, english: str | None = None, context: str | None = None
) -> QueryBundle:
    """A query for the hybrid retriever.

    BM25 matches words of the question and of its English translation (names and numbers
    survive even a poor translation); the bundled embedder only understands English, so the
    translation is embedded too (first: it finds English evidence; the original finds evidence
    in the question's own language; the evidence selector takes the best of each). `context`,
    the previous question of a follow-up that could not be rewritten, is searched for as well.
    The question itself stays the first line: the evidence selector reads it as the question.
    """
    english = english if english and english != question else None
    lines = [question, *(t for t in (english, context) if t)]
    embedded = [*(t for t in (english, question, context) if t)]
    return QueryBundle(query_str="\n".join(lines), custom_embedding_strs=embedded)


class HybridRetriever(BaseRetriever):
    """Dense + BM25 over the store's complete documents, rebuilt when the documents change."""

    def __init__(
        self, store: ChunkStore, embedder: BaseEmbedding, llm: LLM, *, top_k: int = 6
    ) -> None:
        super().__init__()
        self._store = store
        self._embedder = embedder
        self._llm = llm
        self._top_k = top_k
        self._fingerprint: tuple[tuple[str, str], ...] | None = None
        self._fusion: QueryFusionRetriever | None = None
        self._by_language: dict[str, QueryFusionRetriever | None] = {}
        self._nodes: list[BaseNode] = []
        self._corpus = ""
        self._lock = threading.Lock()

    def _fuse(self, nodes: list[BaseNode], language: str | None) -> QueryFusionRetriever | None:
        """Dense + BM25 over nodes (all, or one language's), fused by reciprocal rank."""
        top_k = self._top_k
        if language is not None:
            nodes = [n for n in nodes if n.metadata.get("language") == language]
            # A question in another language ranks these chunks poorly (English-only embedder,
            # no shared words for BM25); the evidence selector's anchors pick from more.
            top_k *= CROSS_LANGUAGE_DEPTH
        if not nodes:
            return None
        filters = (
            MetadataFilters(filters=[MetadataFilter(key="language", value=language)])
            if language is not None
            else None
        )
        dense = VectorStoreIndex.from_vector_store(
            self._store.vector_store, embed_model=self._embedder
        ).as_retriever(similarity_top_k=top_k * 2, filters=filters)
        sparse = BM25Retriever(
            nodes=list(nodes),
            similarity_top_k=min(top_k, len(nodes)),
            language=sorted(STOPWORDS),  # type: ignore[arg-type]  # bm25s takes a list
        )
        return QueryFusionRetriever(
            [dense, sparse],
            llm=self._llm,  # never called: num_queries=1 generates no extra queries
            mode=FUSION_MODES.RECIPROCAL_RANK,
            similarity_top_k=top_k,
            num_queries=1,
            use_async=False,
        )

    def _build(
        self, manifest: dict[str, str], language: str | None = None
    ) -> QueryFusionRetriever | None:
        fingerprint = tuple(sorted(manifest.items()))
        with self._lock:
            if fingerprint != self._fingerprint:
                self._nodes = list[BaseNode](self._store.nodes())
                self._corpus = "\n".join(n.get_content() for n in self._nodes)
                self._fusion = self._fuse(self._nodes, None)
                self._by_language = {}
                self._fingerprint = fingerprint
            if language is None:
                return self._fusion
            if language not in self._by_language:
                self._by_language[language] = self._fuse(self._nodes, language)
            return self._by_language[language]

    def corpus_text(self) -> str:
        """All indexed text (of the nodes BM25 was last built from), for term look-ups."""
        self._build(self._store.manifest())
        return self._corpus

    def languages(self) -> set[str]:
        """Languages of the indexed documents."""
        return {d.language for d in self._store.documents()}

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._run(query_bundle, None)

    def retrieve_language(self, query_bundle: QueryBundle, language: str) -> list[NodeWithScore]:
        """Retrieve from the documents in one language only (for cross-language answers)."""
        return self._run(query_bundle, language)

    def _run(self, query_bundle: QueryBundle, language: str | None) -> list[NodeWithScore]:
        manifest = self._store.manifest()
        fusion = self._build(manifest, language) if manifest else None
        if fusion is None:
            return []
        found = fusion.retrieve(query_bundle)
        return [n for n in found if self._store.is_valid(n.node, manifest)]  # type: ignore[arg-type]
