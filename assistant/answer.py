"""Answering: a llama-index query engine that retrieves, selects evidence, asks the LLM and checks.

The flow per question: retrieve (hybrid, multilingual embeddings) → select evidence sentences →
decide from evidence scores whether the documents can answer at all → let the LLM write a
short cited answer → check every sentence against its cited span → fall back to a quoted
sentence (with the short answer, in the question's language) or a refusal.
The pure decisions live in assistant.compose; this module runs the stages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import LLM
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.citations import Verifier
from assistant.compose import Composed, ComposeSettings, answerability, compose
from assistant.evidence import Evidence, EvidenceSelector, to_evidence
from assistant.prompts import Prompt
from assistant.retrieval import HybridRetriever, query_bundle
from assistant.safety import injected_share, neutralize
from assistant.schema import Answer, Citation, Prepared, Timings
from assistant.settings import REFUSAL_EN, AnswerSettings, Settings
from index.chunking import split_sentences
from index.language import detect_language
from index.languages import get_language, supported_languages

__all__ = [
    "Answer",
    "Citation",
    "CitedQueryEngine",
    "Prepared",
    "Timings",
    "compose_settings",
    "composed_answer",
    "fixed_messages",
    "make_verifier",
    "warm_up",
]


class CitedQueryEngine(CustomQueryEngine):
    """Retrieve → select evidence → answer → check citations, as a llama-index query engine."""

    retriever: HybridRetriever = Field(description="Hybrid dense + BM25 retriever.")
    selector: EvidenceSelector = Field(description="Keeps the best evidence sentences.")
    llm: LLM = Field(description="Writes the answer.")
    prompts: dict[str, Prompt] = Field(description="Loaded prompt templates.")
    settings: Settings = Field(description="Assistant settings.")

    # -- stages ------------------------------------------------------------------------------
    def prepare(
        self,
        question: str,
        standalone: str | None = None,
        *,
        started: float | None = None,
        context: str | None = None,
    ) -> Prepared:
        """Retrieve and select evidence for question (already rewritten if a follow-up; if it
        could not be rewritten, `context` is the question it follows, searched for too)."""
        started = started if started is not None else time.perf_counter()
        standalone = (standalone or question).strip()
        language = detect_language(standalone)
        language = language if language in supported_languages() else "en"
        evidence = self._evidence(query_bundle(standalone, context=context))
        minimum = self.settings.retrieval.min_evidence_score
        reason = answerability(standalone, evidence, minimum, language=language)
        return Prepared(
            question=question,
            standalone=standalone,
            language=language,
            evidence=evidence,
            refusal_reason=reason,
            retrieve_s=time.perf_counter() - started,
            started=started,
        )

    def chunks(self, bundle: QueryBundle) -> list[NodeWithScore]:
        """The retrieved chunks the evidence is selected from, best first."""
        # The retriever over-fetches (OVERFETCH × top_k): chunks mostly addressed to the
        # assistant rank high for the very question they target and would take every slot.
        hits = [h for h in self.retriever.retrieve(bundle) if not _mostly_injected(h)]
        return hits[: self.settings.retrieval.top_k]

    def _evidence(self, bundle: QueryBundle) -> tuple[Evidence, ...]:
        return self.select(self.chunks(bundle), bundle)

    def select(self, hits: list[NodeWithScore], bundle: QueryBundle) -> tuple[Evidence, ...]:
        """The evidence sentences shown to the model, selected from the retrieved chunks."""
        return tuple(to_evidence(self.selector.postprocess_nodes(hits, query_bundle=bundle)))

    def verifier(self) -> Verifier:
        """The verification stage, with the embedder's similarity as its meaning check."""
        return make_verifier(self.selector.embed_model, self.settings.answer)

    def messages(self, prepared: Prepared) -> list[ChatMessage]:
        """The chat the LLM sees: fixed system text first, so llama.cpp can reuse its KV cache."""
        lang = get_language(prepared.reply_language)
        # The system text and the worked example are the same for every question, whatever its
        # language, so llama.cpp reuses their evaluated state (its prefix cache): with the
        # question's own refusal sentence in the system text, a question in another language
        # than the one before re-read 106 of the 163 fixed tokens. A refusal in any language is
        # recognised (looks_like_refusal), and the user gets the one of the question's language.
        user = self.prompts["answer_user"].render(
            evidence="\n".join(e.prompt_line() for e in prepared.evidence),
            question=neutralize(prepared.standalone),
            language_name=lang.name,
        )
        return [*fixed_messages(self.prompts), ChatMessage(role=MessageRole.USER, content=user)]

    def generate(self, prepared: Prepared) -> Iterator[str]:
        """Stream the LLM's draft answer as text deltas (nothing when the gate refused)."""
        if prepared.refusal_reason:
            return
        last = ""
        for chunk in self.llm.stream_chat(self.messages(prepared)):
            text = chunk.message.content or ""
            delta = chunk.delta if chunk.delta is not None else text[len(last) :]
            last = text
            if delta:
                yield delta

    def finish(self, prepared: Prepared, draft: str, *, first_token_s: float | None) -> Answer:
        """Check the draft and build the final Answer."""
        generated = time.perf_counter()
        composed = compose(prepared, draft, self.verifier(), compose_settings(self.settings.answer))
        timings = Timings(
            retrieve_s=prepared.retrieve_s,
            generate_s=max(0.0, generated - prepared.started - prepared.retrieve_s),
            total_s=time.perf_counter() - prepared.started,
            first_token_s=first_token_s,
        )
        return composed_answer(prepared, draft, composed, timings)

    def run(
        self,
        question: str,
        standalone: str | None = None,
        *,
        started: float | None = None,
        context: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the draft as it is generated, then the checked Answer."""
        started = started if started is not None else time.perf_counter()
        prepared = self.prepare(question, standalone, started=started, context=context)
        first: float | None = None
        draft = ""
        for delta in self.generate(prepared):
            first = first if first is not None else time.perf_counter() - started
            draft += delta
            yield delta
        yield self.finish(prepared, draft, first_token_s=first)

    def custom_query(self, query_str: str) -> Response:
        """llama-index's query API (`engine.query(...)`): the checked Answer in the metadata."""
        answer = next(item for item in self.run(query_str) if isinstance(item, Answer))
        return Response(response=answer.text, metadata={"answer": answer})


def composed_answer(
    prepared: Prepared, draft: str, composed: Composed, timings: Timings | None = None
) -> Answer:
    """The Answer of a composition: what the user gets, with the draft and what it came from."""
    refused = composed.mode == "refused"
    return Answer(
        question=prepared.question,
        text=composed.text,
        refused=refused,
        language=prepared.language,
        citations=composed.citations,
        timings=timings or Timings(),
        standalone_question=prepared.standalone,
        draft=draft,
        removed=composed.removed,
        removed_reasons=composed.reasons,
        mode=composed.mode,
        short=composed.short,
        refusal_reason=composed.why if refused else None,
        prepared=prepared,
    )


def make_verifier(embedder: BaseEmbedding, answer: AnswerSettings) -> Verifier:
    """The verification stage with answer's thresholds and embedder's cosine as its meaning
    check (each text embedded once per verifier)."""
    cache: dict[str, list[float]] = {}

    def vector(text: str) -> list[float]:
        if text not in cache:
            cache[text] = embedder.get_text_embedding(text)
        return cache[text]

    def similarity(claim: str, texts: Sequence[str]) -> list[float]:
        c = vector(claim)
        return [_cosine(c, vector(t)) for t in texts]

    return Verifier(
        similarity=similarity,
        min_similarity=answer.min_similarity,
        min_similarity_facts=answer.min_similarity_facts,
        min_relevance=answer.min_relevance,
    )


def compose_settings(answer: AnswerSettings) -> ComposeSettings:
    """The composition's thresholds, from the settings' answer section."""
    return ComposeSettings(
        quote_min_lexical=answer.quote_min_lexical,
        quote_min_dense=answer.quote_min_dense,
        strong_evidence=answer.strong_evidence,
        yes_no_min_topical=answer.yes_no_min_topical,
        yes_no_statement=answer.yes_no_statement,
    )


def fixed_messages(prompts: dict[str, Prompt]) -> list[ChatMessage]:
    """The part of every answer prompt that never changes: the system text and a worked example."""
    return [
        ChatMessage(
            role=MessageRole.SYSTEM, content=prompts["answer_system"].render(refusal=REFUSAL_EN)
        ),
        ChatMessage(role=MessageRole.USER, content=prompts["example_user"].render()),
        ChatMessage(role=MessageRole.ASSISTANT, content=prompts["example_answer"].render()),
    ]


def warm_up(llm: LLM, prompts: dict[str, Prompt], *, threads: int | None = None) -> None:
    """Have the LLM read the fixed part of the answer prompt now, before the first question.

    A local llama.cpp model keeps what it last read and re-reads only what differs, so the
    first question then costs what every later one does. Generates a single token; `threads`
    (the local model's call option) runs this one read on fewer threads than answers use.
    """
    options = {"threads": threads} if threads is not None else {}
    llm.chat(
        [*fixed_messages(prompts), ChatMessage(role=MessageRole.USER, content="")],
        max_tokens=1,
        **options,
    )


OVERFETCH = 3  # the retriever returns this many times top_k chunks (see _evidence)
INJECTED_SHARE = 0.5  # a chunk with this share of text addressed to the assistant is skipped


def _mostly_injected(hit: NodeWithScore) -> bool:
    text = hit.node.get_content()
    language = str(hit.node.metadata.get("language", "en"))
    return injected_share(text, split_sentences(text), language) >= INJECTED_SHARE


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
