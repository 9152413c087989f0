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


def query_bundle(
    question: str, english: str | None = None, *, embed_original: bool = False
) -> QueryBundle:
    """A query for the hybrid retriever.

    BM25 matches words of the question and of its English translation (names and numbers
    survive even a poor translation); the bundled embedder only understands English, so the
    translation is embedded too.
    """
    if embed_original and english:
        # The question is English and `english` holds its Swedish translation: BM25 gets both,
        # the English-only embedder gets both too (Swedish-to-Swedish token overlap helps).
        return QueryBundle(
            query_str=f"{question}\n{english}", custom_embedding_strs=[question, english]
        )
    if not english or english == question:
        return QueryBundle(query_str=question, custom_embedding_strs=[question])
    # Both texts are embedded: the translation finds English evidence, the original finds
    # evidence in the question's own language (the evidence selector takes the best of each).
    return QueryBundle(
        query_str=f"{question}\n{english}", custom_embedding_strs=[english, question]
    )


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
        self._corpus = ""
        self._lock = threading.Lock()

    def _build(self, manifest: dict[str, str]) -> QueryFusionRetriever | None:
        fingerprint = tuple(sorted(manifest.items()))
        with self._lock:
            if fingerprint != self._fingerprint:
                nodes = self._store.nodes()
                self._corpus = "\n".join(n.get_content() for n in nodes)
                if not nodes:
                    self._fusion = None
                else:
                    dense = VectorStoreIndex.from_vector_store(
                        self._store.vector_store, embed_model=self._embedder
                    ).as_retriever(similarity_top_k=self._top_k * 2)
                    sparse = BM25Retriever(
                        nodes=list[BaseNode](nodes),
                        similarity_top_k=min(self._top_k, len(nodes)),
                        language=sorted(STOPWORDS),  # type: ignore[arg-type]  # bm25s takes a list
                    )
                    self._fusion = QueryFusionRetriever(
                        [dense, sparse],
                        llm=self._llm,  # never called: num_queries=1 generates no extra queries
                        mode=FUSION_MODES.RECIPROCAL_RANK,
                        similarity_top_k=self._top_k,
                        num_queries=1,
                        use_async=False,
                    )
                self._fingerprint = fingerprint
            return self._fusion

    def corpus_text(self) -> str:
        """All indexed text (of the nodes BM25 was last built from), for term look-ups."""
        self._build(self._store.manifest())
        return self._corpus

    def languages(self) -> set[str]:
        """Languages of the indexed documents."""
        return {d.language for d in self._store.documents()}

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        manifest = self._store.manifest()
        fusion = self._build(manifest) if manifest else None
        if fusion is None:
            return []
        found = fusion.retrieve(query_bundle)
        return [n for n in found if self._store.is_valid(n.node, manifest)]  # type: ignore[arg-type]
