"""Answering: a llama-index query engine that retrieves, selects evidence, asks the LLM and checks.

The flow per question: retrieve (hybrid) → select evidence sentences → decide from evidence
scores whether the documents can answer at all → let the LLM write a short cited answer →
check every sentence against its cited span → fall back to a quoted sentence or a refusal →
if that refused, try once more with the documents in the other language.
The pure decisions live in assistant.compose; this module runs the stages.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import LLM
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import QueryBundle

from assistant.compose import LANGUAGE_NAMES, answerability, compose, unmentioned
from assistant.evidence import Evidence, EvidenceSelector, to_evidence
from assistant.prompts import Prompt
from assistant.retrieval import HybridRetriever, query_bundle
from assistant.schema import Answer, Citation, Prepared, Timings
from assistant.settings import REFUSALS, Settings
from assistant.translate import translate
from index.language import detect_language

__all__ = ["LANGUAGE_NAMES", "Answer", "Citation", "CitedQueryEngine", "Prepared", "Timings"]


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
        english = self.translate(standalone) if language != "en" else None
        evidence = self._evidence(query_bundle(standalone, english, context))
        minimum = self.settings.retrieval.min_evidence_score
        reason = answerability(standalone, evidence, minimum, language=language)
        if reason and english:
            # Names can differ across languages; the translation passing is enough.
            reason = answerability(english, evidence, minimum, language="en") and reason
        return Prepared(
            question=question,
            standalone=standalone,
            language=language if language in REFUSALS else "en",
            evidence=evidence,
            refusal_reason=reason,
            retrieve_s=time.perf_counter() - started,
            started=started,
        )

    def cross_language(self, first: Prepared) -> Prepared | None:
        """Evidence from the documents in other languages, for a question the first pass
        could not answer; None when there is none that matches the question specifically.

        The English-only embedder and the 0.5B translator rarely bring an English question to
        the Swedish sentence that answers it, so this pass searches each other language's
        documents on their own and keeps sentences by cross-language anchors (names, numbers,
        months, shared loanwords: assistant.crosslang).
        """
        started = time.perf_counter()
        others = sorted(self.retriever.languages() - {first.language})
        # Names the documents never mention ("France") are not found in any language.
        if not others or unmentioned(first.standalone, [self.retriever.corpus_text()]):
            return None
        bundle = query_bundle(first.standalone)
        hits = [h for lang in others for h in self.retriever.retrieve_language(bundle, lang)]
        selector = self.selector.model_copy(update={"cross_language": True})
        evidence = tuple(to_evidence(selector.postprocess_nodes(hits, query_bundle=bundle)))
        if not evidence:
            return None
        return replace(
            first,
            evidence=evidence,
            refusal_reason=None,
            retrieve_s=first.retrieve_s + time.perf_counter() - started,
        )

    def translate(self, question: str) -> str | None:
        """The question in English, for retrieval (the bundled embedder is English-only)."""
        if not self.settings.retrieval.translate_queries:
            return None
        return translate(self.llm, self.prompts["translate"], question)

    def _evidence(self, bundle: QueryBundle) -> tuple[Evidence, ...]:
        hits = self.retriever.retrieve(bundle)
        return tuple(to_evidence(self.selector.postprocess_nodes(hits, query_bundle=bundle)))

    def messages(self, prepared: Prepared) -> list[ChatMessage]:
        """The chat the LLM sees: fixed system text first, so llama.cpp can reuse its KV cache."""
        refusal = REFUSALS[prepared.language]
        system = self.prompts["answer_system"].render(refusal=refusal)
        user = self.prompts["answer_user"].render(
            evidence="\n".join(e.prompt_line() for e in prepared.evidence),
            question=prepared.standalone,
            language_name=LANGUAGE_NAMES.get(prepared.language, "English"),
        )
        return [
            ChatMessage(role=MessageRole.SYSTEM, content=system),
            ChatMessage(role=MessageRole.USER, content=self.prompts["example_user"].render()),
            ChatMessage(
                role=MessageRole.ASSISTANT, content=self.prompts["example_answer"].render()
            ),
            ChatMessage(role=MessageRole.USER, content=user),
        ]

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
        composed = compose(prepared, draft)
        total = time.perf_counter() - prepared.started
        return Answer(
            question=prepared.question,
            text=composed.text,
            refused=composed.mode == "refused",
            language=prepared.language,
            citations=composed.citations,
            timings=Timings(
                retrieve_s=prepared.retrieve_s,
                generate_s=max(0.0, generated - prepared.started - prepared.retrieve_s),
                total_s=total,
                first_token_s=first_token_s,
            ),
            standalone_question=prepared.standalone,
            draft=draft,
            removed=composed.removed,
            mode=composed.mode,
            short=composed.short,
        )

    def run(
        self,
        question: str,
        standalone: str | None = None,
        *,
        started: float | None = None,
        context: str | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the draft as it is generated, then the checked Answer.

        When the documents in the question's language give no checked answer, the documents
        in the other language get their own pass (see cross_language) before refusing.
        """
        started = started if started is not None else time.perf_counter()
        prepared = self.prepare(question, standalone, started=started, context=context)
        first: float | None = None
        answer: Answer | None = None
        for attempt in range(2):
            draft = ""
            for delta in self.generate(prepared):
                first = first if first is not None else time.perf_counter() - started
                draft += delta
                yield delta
            result = self.finish(prepared, draft, first_token_s=first)
            answer = result if answer is None or not result.refused else answer
            if not result.refused or attempt == 1:
                break
            retry = self.cross_language(prepared)
            if retry is None:
                break
            prepared = retry
            if draft:
                yield "\n\n"  # the next draft starts on its own line in a streaming view
        assert answer is not None
        # The refusal of the first pass keeps the time of the whole attempt.
        yield replace(
            answer, timings=replace(answer.timings, total_s=time.perf_counter() - started)
        )

    def answer(self, question: str, standalone: str | None = None) -> Answer:
        final = None
        for item in self.run(question, standalone):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def custom_query(self, query_str: str) -> Response:
        answer = self.answer(query_str)
        return Response(response=answer.text, metadata={"answer": answer})
