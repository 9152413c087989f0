"""Retrieval: dense (Chroma) and BM25 (SQLite FTS5) retrievers fused by reciprocal rank, via
llama-index."""

from __future__ import annotations

from llama_index.core import VectorStoreIndex
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.text import stopwords
from index.bm25 import query_terms
from index.store import ChunkStore

# Function words of every supported language (index/lang/*.toml): BM25 should match on names,
# numbers and content words, and corpora mix languages.
STOPWORDS = stopwords()


def query_bundle(question: str, context: str | None = None) -> QueryBundle:
    """A query for the hybrid retriever: the question, and `context` (the previous question of
    a follow-up that could not be rewritten) searched for as well.

    The embedder is multilingual, so a question finds evidence in any language by meaning;
    BM25 adds exact names and numbers. The question stays the first line: the evidence
    selector reads it as the question.
    """
    lines = [question, *([context] if context else [])]
    return QueryBundle(query_str="\n".join(lines), custom_embedding_strs=lines)


class KeywordRetriever(BaseRetriever):
    """BM25 over the store's persisted keyword index (index/bm25.py), current documents only."""

    def __init__(self, store: ChunkStore, *, top_k: int = 6) -> None:
        super().__init__()
        self._store = store
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        terms = query_terms(query_bundle.query_str, STOPWORDS)
        # Rows of a version being written or just replaced can rank too: ask for more, keep
        # the current ones.
        hits = self._store.keyword_search(terms, self._top_k * 2)
        current = self._store.manifest([h.doc_id for h in hits])
        hits = [h for h in hits if current.get(h.doc_id) == h.content_hash][: self._top_k]
        nodes = {n.node_id: n for n in self._store.get_nodes([h.chunk_id for h in hits])}
        found = [(nodes.get(h.chunk_id), h.score) for h in hits]
        return [NodeWithScore(node=node, score=score) for node, score in found if node]


class HybridRetriever(BaseRetriever):
    """Dense (Chroma) + BM25 (the store's FTS5 index) fused by reciprocal rank.

    Nothing is built from all chunks: both indexes live in the store and change with it, so a
    question costs about the same at 1,000 or 100,000 chunks, and start-up loads nothing. Every
    hit is checked against the manifest, so a removed or replaced document is never returned.
    """

    def __init__(
        self, store: ChunkStore, embedder: BaseEmbedding, llm: LLM, *, top_k: int = 6
    ) -> None:
        super().__init__()
        self._store = store
        self.dense = VectorStoreIndex.from_vector_store(
            store.vector_store, embed_model=embedder
        ).as_retriever(similarity_top_k=top_k * 2)
        self.keyword = KeywordRetriever(store, top_k=top_k)
        self._fusion = QueryFusionRetriever(
            [self.dense, self.keyword],
            llm=llm,  # never called: num_queries=1 generates no extra queries
            mode=FUSION_MODES.RECIPROCAL_RANK,
            similarity_top_k=top_k,
            num_queries=1,
            use_async=False,
        )

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        found = self._fusion.retrieve(query_bundle)
        fresh = {id(n) for n in self._store.fresh([hit.node for hit in found])}
        return [hit for hit in found if id(hit.node) in fresh]
