"""The peer baseline: stock llama-index over the same chunks, embedder and LLM as the assistant.

What a llama-index user gets by following the documentation: a `VectorStoreIndex` on its own
Chroma collection and `CitationQueryEngine.from_args(index, llm=..., similarity_top_k=3)` with its
default citation prompt; follow-ups are condensed with the default prompt of llama-index's
`CondenseQuestionChatEngine`. Kept equal, so the comparison measures the engine alone:

- chunks: the assistant's own stored chunks (index.chunking.chunk_document over the cleaned
  documents), not llama-index's default splitter, so both systems retrieve from the same text;
- embedder and LLM: the very objects the assistant uses; a local GGUF gets its own chat format
  (ChatML, assistant.models.messages_to_chatml) through LlamaCPP's completion_to_prompt;
- metadata: each chunk's title and date are left visible to the LLM (llama-index's synthesizer
  prints a node's LLM metadata above it), as they are in our evidence, so date questions are fair.

Its answers become the same `Answer` as `ask --json` (citations from the [n] markers that point
at a source node; refused when it says it cannot answer) and are scored by the same metrics.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.base.llms.generic_utils import messages_to_history_str
from llama_index.core.base.response.schema import StreamingResponse
from llama_index.core.chat_engine.condense_question import DEFAULT_PROMPT as CONDENSE_PROMPT
from llama_index.core.query_engine import CitationQueryEngine
from llama_index.core.schema import (
    NodeRelationship,
    NodeWithScore,
    RelatedNodeInfo,
    TextNode,
)

from assistant.answer import Answer, Citation, Timings
from assistant.api import Assistant
from assistant.chat import HistoryLike, to_messages
from assistant.citations import CITE_RE, looks_like_refusal
from assistant.settings import REFUSALS
from index.language import detect_language
from index.store import ChunkStore

TOP_K = 3
LLM_VISIBLE = ("title", "date")  # metadata the LLM sees; the rest is for citations only
# Ways the stock prompt's "If none of the sources are helpful, you should indicate that" comes
# out of small models, besides the assistant's own refusal cues.
EXTRA_REFUSAL_CUES = (
    "none of the sources",
    "sources do not",
    "sources don't",
    "not provide",
    "not specified",
    "not stated",
    "no mention",
    "don't know",
    "do not know",
    "unable to",
    "nämns inte",
    "vet inte",
)
_SOURCE_LABEL = re.compile(r"^Source \d+:\n")


def is_refusal(text: str) -> bool:
    """True if the baseline said it cannot answer (or said nothing)."""
    folded = text.lower()
    return (
        not text.strip() or looks_like_refusal(text) or any(c in folded for c in EXTRA_REFUSAL_CUES)
    )


class Baseline:
    """Stock llama-index question answering over the assistant's chunks, streamed like `ask`."""

    def __init__(
        self, assistant: Assistant, *, store: ChunkStore | None = None, top_k: int = TOP_K
    ) -> None:
        self.assistant = assistant
        self.store = store or ChunkStore(
            assistant.settings, collection=f"{assistant.settings.collection}__baseline"
        )
        self.top_k = top_k
        self._engine: CitationQueryEngine | None = None
        self._chunks: dict[tuple[str, int], str] = {}  # (source, start) → chunk text

    def build(self) -> int:
        """(Re)index the assistant's current chunks in the baseline collection; returns how many."""
        nodes = []
        for stored in self.assistant.store.iter_nodes():
            meta = stored.metadata
            keep = {k: meta.get(k, "") for k in ("doc_id", "source", "name", "title", "date",
                                                 "language", "start", "end")}  # fmt: skip
            nodes.append(
                TextNode(
                    id_=stored.node_id,
                    text=stored.get_content(),
                    metadata=keep,
                    excluded_embed_metadata_keys=list(keep),
                    excluded_llm_metadata_keys=[k for k in keep if k not in LLM_VISIBLE],
                    relationships={
                        NodeRelationship.SOURCE: RelatedNodeInfo(node_id=str(meta.get("doc_id")))
                    },
                )
            )
            self._chunks[(str(keep["source"]), int(keep["start"] or 0))] = stored.get_content()
        self.clear()  # start empty: documents may have changed since the last run
        index = VectorStoreIndex(
            nodes,
            storage_context=StorageContext.from_defaults(vector_store=self.store.vector_store),
            embed_model=self.assistant.embedder,
        )
        self._engine = CitationQueryEngine.from_args(
            index,
            llm=self.assistant.llm,
            similarity_top_k=self.top_k,
            streaming=True,
        )
        return len(nodes)

    def clear(self) -> None:
        """Empty the baseline collection (it only lives for one evaluation)."""
        self.store.clear()
        self._engine = None

    def drop(self) -> None:
        """Delete the baseline's collections: a baseline built for one evaluation leaves no
        empty `<collection>__baseline` behind in the data dir."""
        self.store.drop()
        self._engine = None

    @property
    def engine(self) -> CitationQueryEngine:
        if self._engine is None:
            self.build()
        assert self._engine is not None
        return self._engine

    def condense(self, question: str, history: HistoryLike | None) -> str:
        """The follow-up rewritten by llama-index's stock condense prompt (as its chat engine)."""
        messages = to_messages(history)
        if not messages:
            return question
        rewrite = self.assistant.llm.predict(
            CONDENSE_PROMPT, question=question, chat_history=messages_to_history_str(messages)
        )
        return rewrite.strip() or question

    def stream(self, question: str, history: HistoryLike | None = None) -> Iterator[str | Answer]:
        """Yield the answer's text as generated, then the Answer in the `ask --json` shape."""
        started = time.perf_counter()
        engine = self.engine
        standalone = self.condense(question, history)
        response = engine.query(standalone)
        retrieved = time.perf_counter()
        text, first = "", None
        if isinstance(response, StreamingResponse):
            for delta in response.response_gen:
                if delta and first is None:
                    first = time.perf_counter() - started
                text += delta
                if delta:
                    yield delta
        else:  # a synthesizer that did not stream (e.g. no nodes retrieved)
            text = str(getattr(response, "response", "") or "")
        total = time.perf_counter() - started
        timings = Timings(
            retrieve_s=retrieved - started,
            generate_s=total - (retrieved - started),
            total_s=total,
            first_token_s=first,
        )
        yield self.to_answer(question, standalone, text.strip(), response.source_nodes, timings)

    def to_answer(
        self, question: str, standalone: str, text: str, sources: list[NodeWithScore],
        timings: Timings,
    ) -> Answer:  # fmt: skip
        """The baseline's reply as an Answer: citations are the [n] that name a source node."""
        language = detect_language(question)
        language = language if language in REFUSALS else "en"
        refused = is_refusal(text)
        cited: list[int] = []
        for match in CITE_RE.finditer(text):
            cited += [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1))]
        citations = tuple(
            self._citation(n, sources[n - 1])
            for n in dict.fromkeys(cited)
            if 1 <= n <= len(sources)
        )
        return Answer(
            question=question,
            text=text,
            refused=refused,
            language=language,
            citations=citations,
            timings=timings,
            standalone_question=standalone,
            draft=text,
            mode="refused" if refused else "generated",
        )

    def _citation(self, n: int, hit: NodeWithScore) -> Citation:
        node = hit.node
        meta: dict[str, Any] = dict(node.metadata)
        quote = _SOURCE_LABEL.sub("", node.get_content()).strip()  # "Source n:\n<chunk text>"
        source, chunk_start = str(meta.get("source", "")), int(meta.get("start") or 0)
        chunk = self._chunks.get((source, chunk_start), "")
        offset = max(chunk.find(quote), 0) if chunk else 0
        return Citation(
            n=n,
            source=source,
            title=str(meta.get("title") or "") or None,
            date=str(meta.get("date") or "") or None,
            language=str(meta.get("language") or "en"),
            quote=quote,
            start=chunk_start + offset,
            end=chunk_start + offset + len(quote),
            score=float(hit.score or 0.0),
            context=chunk,
            context_start=chunk_start,
        )
