"""The Python API: `Assistant` ties the index and the answer engine together."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM

from assistant.answer import OVERFETCH, Answer, CitedQueryEngine, warm_up
from assistant.chat import (
    HistoryLike,
    TokenCounter,
    condense,
    previous_question,
    to_messages,
    token_counter,
)
from assistant.errors import AssistantError, DocumentError
from assistant.evidence import EvidenceSelector
from assistant.prompts import load_prompts
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings, load_settings, quiet_environment
from index.ingest import IngestProgress, IngestReport, Progress, ingest
from index.language import detect_language
from index.languages import get_language
from index.loaders import document_id
from index.lock import writer_lock
from index.store import ChunkStore, StoredDocument

# The values the API returns, for callers (the UI) that name them in type hints.
__all__ = ["Assistant", "IngestProgress", "IngestReport", "StoredDocument"]

log = logging.getLogger(__name__)


class Assistant:
    """Answers questions about your documents with checked citations.

    >>> a = Assistant()                       # settings from ASSISTANT_* environment variables
    >>> a.ingest(["notes/", "report.pdf"])
    >>> print(a.ask("When were the sanctions lifted?").text)
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        llm: LLM | None = None,
        embedder: BaseEmbedding | None = None,
        store: ChunkStore | None = None,
    ) -> None:
        quiet_environment()
        self.settings = settings or load_settings()
        self.prompts = load_prompts(self.settings.prompts_dir)  # fail now, not mid-chat
        self.store = store or ChunkStore(self.settings)
        self._embedder = embedder
        self._llm = llm
        self._llm_given = llm is not None  # tests' fakes: nothing of ours to warm up
        self._engine: CitedQueryEngine | None = None
        self._count: TokenCounter | None = None
        self._lock = threading.Lock()
        self._warming: threading.Thread | None = None

    # -- lazily loaded models ----------------------------------------------------------------
    @property
    def embedder(self) -> BaseEmbedding:
        if self._embedder is None:
            from index.embedding import load_embedder

            models = self.settings.models
            self._embedder = load_embedder(
                models.embedder,
                models.model_cache_dir,
                threads=models.embed_threads,
                batch_size=models.embed_batch_size,
                precision=models.embed_precision,
                max_tokens=models.embed_max_tokens,
                kernel_cache=models.embed_kernel_cache,
            )
        return self._embedder

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            from assistant.models import load_llm

            self._llm = load_llm(self.settings)
        return self._llm

    def _embedder_name(self) -> str:
        # The settings' name even for an injected embedder: an evaluation's corpus store and the
        # tests' fakes share their settings with the embedder they are given.
        return str(self.settings.models.embedder)

    @property
    def engine(self) -> CitedQueryEngine:
        with self._lock:
            if self._engine is None:
                self.store.check_embedder(self._embedder_name())
                self._start_warm_up()
                retriever = HybridRetriever(
                    self.store,
                    self.embedder,
                    self.llm,
                    top_k=self.settings.retrieval.top_k * OVERFETCH,
                )
                selector = EvidenceSelector(
                    embed_model=self.embedder,
                    max_sentences=self.settings.retrieval.evidence_sentences,
                    relative_cutoff=self.settings.retrieval.evidence_cutoff,
                    dense_weight=self.settings.retrieval.dense_weight,
                    dense_candidates=self.settings.retrieval.dense_candidates,
                    typed_cutoff=self.settings.retrieval.typed_cutoff,
                )
                self._engine = CitedQueryEngine(
                    retriever=retriever,
                    selector=selector,
                    llm=self.llm,
                    prompts=self.prompts,
                    settings=self.settings,
                )
            return self._engine

    def _start_warm_up(self) -> None:
        """Load the local LLM and have it read the answer prompt's fixed part on another thread,
        while this one loads the embedder and retrieves: the first answer after a start then
        costs about what a warm one does. llama.cpp runs outside the GIL, so the two overlap."""
        models = self.settings.models
        if self._llm_given or models.llm_url or not models.warm_up or self._warming is not None:
            return  # a given LLM (tests' fakes) or a server: nothing of ours to warm
        # Not a daemon: the process waits for it at exit instead of freeing the model under it.
        self._warming = threading.Thread(target=self._warm_up, name="llm-warm-up")
        self._warming.start()

    def _warm_up(self) -> None:
        try:
            warm_up(self.llm, self.prompts, threads=self.settings.models.warm_up_threads)
        except Exception:  # the question that needs the model reports the same error
            log.debug("warming up the LLM failed", exc_info=True)

    def count_tokens(self, text: str) -> int:
        """Tokens text takes in the LLM's prompt (the local model's own tokenizer if it has one)."""
        if self._count is None:
            self._count = token_counter(self.llm, self.settings.chunking.encoding)
        return self._count(text)

    # -- documents ---------------------------------------------------------------------------
    def claim_writer(self) -> None:
        """Become the one process that writes to the embedded store (index/lock.py).

        Raises StoreError naming the other process when one already writes to it. Called before
        every write; `serve` calls it at start so a second writer fails before the page opens.
        A Chroma server (settings.chroma_url) takes writes from many processes: no lock.
        """
        if self.settings.chroma_url is None:
            writer_lock(self.settings.data_dir).acquire()

    def ingest(
        self, paths: Iterable[str | Path], *, progress: Progress | None = None
    ) -> IngestReport:
        """Index files and folders; unchanged files are skipped, bad files reported, not fatal."""
        self.claim_writer()
        self.store.check_embedder(self._embedder_name(), record=True)
        return ingest(
            paths,
            store=self.store,
            embedder=self.embedder,
            settings=self.settings,
            progress=progress,
        )

    def ensure_seeded(self) -> IngestReport | None:
        """Index the bundled seeds/ if the store is empty; returns the report if it did."""
        if self.store.has_documents():
            return None
        return self.ingest([self.settings.seeds_dir])

    def sources(self) -> list[StoredDocument]:
        """Every indexed document with its metadata and chunk count."""
        return self.store.documents()

    def remove(self, path_or_id: str | Path) -> StoredDocument:
        """Drop one document from the index, by path, file name or document id."""
        wanted = str(path_or_id)
        docs = self.store.documents()
        by_id = {d.doc_id: d for d in docs}
        match = by_id.get(wanted) or by_id.get(document_id(Path(wanted).expanduser()))
        if match is None:
            named = [d for d in docs if d.name == Path(wanted).name]
            if len(named) == 1:
                match = named[0]
        if match is None:
            raise DocumentError(
                wanted, "is not indexed: run `assistant sources` to see the indexed documents"
            )
        self.claim_writer()
        self.store.remove(match.doc_id)
        return match

    # -- questions ---------------------------------------------------------------------------
    def standalone(self, question: str, history: HistoryLike | None = None) -> str:
        """The question rewritten to stand alone, given the conversation so far."""
        messages = to_messages(history)
        if not messages:
            return question
        language = get_language(detect_language(question)).name
        return condense(
            self.llm,
            self.prompts["condense"],
            question,
            messages,
            language,
            history_tokens=self.settings.limits.history_tokens,
            context_window=self.settings.models.context_window,
            count=self.count_tokens,
        )

    def check_question(self, question: str) -> str:
        """The question stripped, or AssistantError saying which limit it breaks and how to fix it.

        Characters are checked first, so an oversized paste is refused before any model loads.
        """
        question = (question or "").strip()
        if not question:
            raise AssistantError("empty question: type a question about your documents")
        limits = self.settings.limits
        if len(question) > limits.question_chars:
            raise AssistantError(
                f"the question is {len(question):,} characters long and the limit is "
                f"{limits.question_chars:,}: ask a shorter question (or raise "
                "ASSISTANT_LIMITS__QUESTION_CHARS)"
            )
        # Counting tokens loads the LLM: the warm-up starts first, so the model reads its prompt
        # while this thread goes on to load the embedder (it would not start once loaded here).
        with self._lock:
            self._start_warm_up()
        tokens = self.count_tokens(question)
        if tokens > limits.question_tokens:
            raise AssistantError(
                f"the question is {tokens:,} tokens long and the limit is "
                f"{limits.question_tokens:,}: ask a shorter question (or raise "
                "ASSISTANT_LIMITS__QUESTION_TOKENS)"
            )
        return question

    def ask(self, question: str, history: HistoryLike | None = None) -> Answer:
        """Answer question (a follow-up if history is given) with checked citations."""
        answer: Answer | None = None
        for item in self.stream(question, history):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: HistoryLike | None = None) -> Iterator[str | Answer]:
        """Yield the draft answer's text as it is generated, then the checked Answer.

        The draft is unchecked: show users only the Answer (its sentences passed the citation
        check); the deltas are for progress and for callers that want the raw generation.
        """
        question = self.check_question(question)
        started = time.perf_counter()
        messages = to_messages(history)
        standalone = self.standalone(question, messages)
        # A follow-up the model could not rewrite still retrieves with the question before it.
        context = previous_question(question, messages) if standalone == question else None
        yield from self.engine.run(question, standalone, started=started, context=context)
