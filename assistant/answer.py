"""Answering: a llama-index query engine that retrieves, selects evidence, asks the LLM and checks.

The flow per question: retrieve (hybrid) → select evidence sentences → decide from evidence
scores whether the documents can answer at all → let the LLM write a short cited answer →
check every sentence against its cited span → fall back to a quoted sentence or a refusal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import LLM
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import QueryBundle

from assistant.citations import (
    CheckResult,
    Span,
    _stem_match,
    check_answer,
    content_words,
    key_terms,
    looks_like_refusal,
    missing_terms,
)
from assistant.evidence import Evidence, EvidenceSelector, to_evidence
from assistant.prompts import Prompt
from assistant.retrieval import STOPWORDS, HybridRetriever, query_bundle
from assistant.settings import REFUSALS, Settings
from assistant.translate import translate
from index.language import detect_language

LANGUAGE_NAMES = {"en": "English", "sv": "Swedish"}
CROSS_LANGUAGE_FACTOR = 0.8  # evidence in the other language needs 80 % of the usual score
NOT_MENTIONED = "the documents do not mention "
QUOTE_MIN_LEXICAL = 0.5  # a quoted fallback must hold half of the question's terms
STRONG_EVIDENCE = 0.45  # a best-evidence score this high means the documents do answer
QUOTE_LEAD = {"en": "The documents say:", "sv": "Dokumenten säger:"}
# No file name or date here: its digits would read as facts of the sentence; [n] names the source.
OTHER_LEAD = {"en": "Another source says:", "sv": "En annan källa skriver:"}
OTHER_MIN_LEXICAL = 0.35  # it adds to a checked answer, so it may match the question less
OTHER_SOURCE_SHARE = 0.8  # the other document's sentence must score 80 % of the cited one


@dataclass(frozen=True, slots=True)
class Citation:
    """A checked source of an answer: `quote` is exactly the cleaned text [start:end]."""

    n: int
    source: str
    title: str | None
    date: str | None
    language: str
    quote: str
    start: int
    end: int
    score: float
    context: str = ""  # the surrounding chunk of the document, for display
    context_start: int = 0  # offset of `context` in the cleaned document

    @property
    def name(self) -> str:
        return Path(self.source).name

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "language": self.language,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True, slots=True)
class Timings:
    """Seconds spent per stage of one answer."""

    retrieve_s: float = 0.0
    generate_s: float = 0.0
    total_s: float = 0.0
    first_token_s: float | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A checked answer: text with [n] markers, each resolving to a Citation."""

    question: str
    text: str
    refused: bool
    language: str
    citations: tuple[Citation, ...] = ()
    timings: Timings = field(default_factory=Timings)
    standalone_question: str = ""
    draft: str = ""  # what the LLM wrote, before checking
    removed: tuple[str, ...] = ()  # answer sentences dropped by citation checking
    mode: str = "generated"  # "generated" | "quoted" | "refused"

    def to_dict(self) -> dict[str, Any]:
        """The `ask --json` object."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "answer": self.text,
            "refused": self.refused,
            "language": self.language,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "removed": list(self.removed),
            "timings": {
                k: (round(v, 3) if v is not None else None) for k, v in asdict(self.timings).items()
            },
        }


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything known before generation starts."""

    question: str
    standalone: str
    language: str
    evidence: tuple[Evidence, ...]
    refusal_reason: str | None  # set when the evidence cannot answer: skip the LLM
    retrieve_s: float
    started: float


def answerability(
    question: str, evidence: Sequence[Evidence], min_score: float, *, language: str = "en"
) -> str | None:
    """Why the evidence cannot answer question, or None if it may. Pure; no LLM involved.

    Evidence in another language than the question scores lower by meaning (the bundled
    embedder is English-only), so it passes a lower bar, but only when the question names
    something checkable (a name, number or month) and the evidence contains all of it.
    """
    if not evidence:
        return "no document matched the question"
    best = evidence[0]
    missing = unmentioned(question, [e.text + " " + e.context for e in evidence], evidence)
    if missing:
        return NOT_MENTIONED + ", ".join(missing)
    if best.language != language:
        terms = key_terms(question)
        if terms.names or terms.numbers or terms.months:
            min_score = min_score * CROSS_LANGUAGE_FACTOR
    if best.score < min_score:
        return f"best evidence scored {best.score:.2f} < {min_score:.2f}"
    return None


def unmentioned(
    question: str, texts: Sequence[str], evidence: Sequence[Evidence] = ()
) -> list[str]:
    """Names, numbers and months of the question that none of texts contains.

    Only numbers written as digits count: "the two presidents" does not ask for a 2.
    """
    notes = tuple(r for e in evidence for _, r in e.notes)
    missing = missing_terms(question, [Span(0, " ".join(texts), notes)])
    return [m for m in missing if not m.isdigit() or re.search(rf"\b{m}\b", question)]


class CitedQueryEngine(CustomQueryEngine):
    """Retrieve → select evidence → answer → check citations, as a llama-index query engine."""

    retriever: HybridRetriever = Field(description="Hybrid dense + BM25 retriever.")
    selector: EvidenceSelector = Field(description="Keeps the best evidence sentences.")
    llm: LLM = Field(description="Writes the answer.")
    prompts: dict[str, Prompt] = Field(description="Loaded prompt templates.")
    settings: Settings = Field(description="Assistant settings.")

    # -- stages ------------------------------------------------------------------------------
    def prepare(
        self, question: str, standalone: str | None = None, *, started: float | None = None
    ) -> Prepared:
        """Retrieve and select evidence for question (already rewritten if a follow-up)."""
        started = started if started is not None else time.perf_counter()
        standalone = (standalone or question).strip()
        language = detect_language(standalone)
        english = self.translate(standalone) if language != "en" else None
        evidence = self._evidence(query_bundle(standalone, english))
        minimum = self.settings.retrieval.min_evidence_score
        reason = answerability(standalone, evidence, minimum, language=language)
        if reason and english:
            # Names can differ across languages; the translation passing is enough.
            reason = answerability(english, evidence, minimum, language="en") and reason
        if (
            reason
            and language == "en"
            and "sv" in self.retriever.languages()
            # Not for names the documents never mention ("France"): no translation adds them.
            and not unmentioned(standalone, [self.retriever.corpus_text()])
        ):
            # Second chance, only when the first found nothing: the answer may be in a Swedish
            # document only. Costs one more LLM call, so it is not done up front.
            swedish = self.translate(standalone, "translate_to_swedish")
            if swedish:
                retry = self._evidence(query_bundle(standalone, swedish, embed_original=True))
                if answerability(swedish, retry, minimum, language="sv") is None or (
                    answerability(standalone, retry, minimum, language=language) is None
                ):
                    evidence, reason = retry, None
        return Prepared(
            question=question,
            standalone=standalone,
            language=language if language in REFUSALS else "en",
            evidence=evidence,
            refusal_reason=reason,
            retrieve_s=time.perf_counter() - started,
            started=started,
        )

    def translate(self, question: str, prompt: str = "translate") -> str | None:
        """The question in the other language (prompt "translate": Swedish → English)."""
        if not self.settings.retrieval.translate_queries:
            return None
        return translate(self.llm, self.prompts[prompt], question)

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
        text, citations, removed, mode = compose(prepared, draft)
        total = time.perf_counter() - prepared.started
        return Answer(
            question=prepared.question,
            text=text,
            refused=mode == "refused",
            language=prepared.language,
            citations=citations,
            timings=Timings(
                retrieve_s=prepared.retrieve_s,
                generate_s=max(0.0, generated - prepared.started - prepared.retrieve_s),
                total_s=total,
                first_token_s=first_token_s,
            ),
            standalone_question=prepared.standalone,
            draft=draft,
            removed=removed,
            mode=mode,
        )

    def answer(self, question: str, standalone: str | None = None) -> Answer:
        prepared = self.prepare(question, standalone)
        draft, first = "", None
        for delta in self.generate(prepared):
            first = first if first is not None else time.perf_counter() - prepared.started
            draft += delta
        return self.finish(prepared, draft, first_token_s=first)

    def custom_query(self, query_str: str) -> Response:
        answer = self.answer(query_str)
        return Response(response=answer.text, metadata={"answer": answer})


def compose(
    prepared: Prepared, draft: str
) -> tuple[str, tuple[Citation, ...], tuple[str, ...], str]:
    """Final (text, citations, removed sentences, mode) from a draft and its evidence. Pure."""
    language = prepared.language
    refusal = REFUSALS[language]
    if prepared.refusal_reason or not prepared.evidence:
        return refusal, (), (), "refused"
    by_n = {e.n: e for e in prepared.evidence}
    best = prepared.evidence[0]
    if looks_like_refusal(draft):
        # The small model also refuses when the answer is right there; evidence that holds
        # every term of the question and scores high is then quoted rather than withheld.
        # (Anything less is not enough: "What did Erdogan eat?" matches Erdogan sentences.)
        if best.score >= STRONG_EVIDENCE and best.lexical >= 0.99:
            return _quote(best, language), (_citation(best, 1),), (), "quoted"
        return refusal, (), (), "refused"
    spans = [e.span() for e in prepared.evidence]
    result: CheckResult = check_answer(
        draft, spans, language=language, question=prepared.standalone
    )
    removed = tuple(c.sentence for c in result.removed)
    # "When ...?" answered without a date, or "How many ...?" without a number, is no answer.
    wanted = answer_type(prepared.standalone)
    question = prepared.standalone
    kept = tuple(c for c in result.kept if has_answer_type(c.sentence, wanted, question))
    removed += tuple(c.sentence for c in result.kept if c not in kept)
    if kept:
        numbering: dict[int, int] = {}
        parts = []
        for check in kept:
            marks = "".join(f"[{numbering.setdefault(n, len(numbering) + 1)}]" for n in check.cited)
            body, end = _split_end(check.sentence)
            parts.append(f"{body} {marks}{end}")
        used = [by_n[old] for old in numbering]
        text, used = _with_other_source(" ".join(parts), used, prepared, wanted)
        citations = tuple(_citation(e, i) for i, e in enumerate(used, start=1))
        return text, citations, removed, "generated"
    quotable = best_quote(
        prepared.evidence, wanted=wanted, question=question, language=prepared.language
    )
    if quotable is None:
        return refusal, (), removed, "refused"
    text, used = _with_other_source(_quote(quotable, language), [quotable], prepared, wanted)
    return text, tuple(_citation(e, i) for i, e in enumerate(used, start=1)), removed, "quoted"


def other_source(
    cited: Sequence[Evidence],
    evidence: Sequence[Evidence],
    wanted: str | None,
    question: str = "",
) -> Evidence | None:
    """Evidence from another document that gives the same kind of fact (a date, a number).

    Two articles often report one event with different detail ("killing three men" against
    "flera soldater dödas"); when the question asks for a date or a number, the answer shows
    the other document's version too rather than silently picking one.
    """
    if wanted is None or not cited:
        return None
    documents = {e.doc_id for e in cited}
    top = max(e.score for e in cited)
    for e in evidence:
        facts = e.facts_text
        if (
            e.doc_id not in documents
            and e.score >= top * OTHER_SOURCE_SHARE
            and e.lexical >= OTHER_MIN_LEXICAL
            and has_answer_type(facts, wanted, question)
        ):
            return e
    return None


def _with_other_source(
    text: str, used: list[Evidence], prepared: Prepared, wanted: str | None
) -> tuple[str, list[Evidence]]:
    language = prepared.language
    other = other_source(used, prepared.evidence, wanted, prepared.standalone)
    if other is None:
        return text, used
    n = len(used) + 1
    notes = other.dates_note()
    lead = OTHER_LEAD.get(language, OTHER_LEAD["en"])
    return f'{text} {lead} "{other.text}"{notes} [{n}]', [*used, other]


def best_quote(
    evidence: Sequence[Evidence],
    *,
    wanted: str | None = None,
    question: str = "",
    language: str = "",
) -> Evidence | None:
    """The sentence to quote when the model's answer failed, or None.

    A quote is offered as the answer, so it must hold at least half of the question's terms
    and the kind of fact asked for (a date for "when", a number for "how many").
    """
    top = evidence[0].score if evidence else 0.0
    candidates = [
        e
        for e in evidence
        if e.lexical >= QUOTE_MIN_LEXICAL
        and e.score >= top * 0.75
        and has_answer_type(e.facts_text, wanted, question)
        and (e.language != language or topical(question, e.text) >= QUOTE_MIN_LEXICAL)
        and _holds_question_digits(question, e)
    ]
    return max(candidates, key=lambda e: (e.lexical, e.score)) if candidates else None


def _holds_question_digits(question: str, e: Evidence) -> bool:
    """A year or day the question asks about must be in the quote (or its resolved dates)."""
    return all(re.search(rf"\b{d}\b", e.facts_text) for d in re.findall(r"\d+", question))


def topical(question: str, text: str) -> float:
    """Share of the question's words other than names found in text (same language only).

    Names weigh double in evidence scores, so a sentence about Erdogan matches "How much did
    Erdogan pay?" well; a quote must also share the question's other words ("pay").
    """
    names = key_terms(question).names
    words = {w for w in content_words(question) if w not in names and w not in STOPWORDS}
    if len(words) < 2:
        # One word is too little to judge by: "punish" is answered by "sanctions".
        return 1.0
    vocabulary = content_words(text)
    return sum(_stem_match(w, vocabulary) for w in words) / len(words)


def _quote(e: Evidence, language: str) -> str:
    dates = e.dates_note()
    # The resolved dates go before the marker: they are part of what [1] supports.
    return f'{QUOTE_LEAD.get(language, QUOTE_LEAD["en"])} "{e.text}"{dates} [1]'


_WHEN = re.compile(
    r"^\s*(when|what (year|date|day|month)|which (year|date|day|month)|när|vilket (år|datum)|"
    r"vilken (dag|månad))\b",
    re.IGNORECASE,
)


_HOW_MANY = re.compile(r"^\s*(how (many|much)|hur (många|mycket))\b", re.IGNORECASE)


def asks_when(question: str) -> bool:
    """True for questions whose answer must be a date ("When ...?", "När ...?")."""
    return bool(_WHEN.search(question))


_WHO = re.compile(
    r"^\s*(who|whom|whose|vem|vems|vilka|what (is|was) the name|vad (heter|hette))\b", re.I
)


def answer_type(question: str) -> str | None:
    """ "date", "number" or "name" when the question asks for one, else None."""
    if asks_when(question):
        return "date"
    if _HOW_MANY.search(question):
        return "number"
    if _WHO.search(question):
        return "name"
    return None


def has_answer_type(text: str, wanted: str | None, question: str = "") -> bool:
    """True if text holds the kind of fact wanted: a year/day or month, a number, or a name
    that the question itself does not already contain."""
    if wanted == "date":
        return bool(re.search(r"\d", text) or key_terms(text).months)
    if wanted == "number":
        return bool(key_terms(text).numbers) or bool(re.search(r"\b(flera|several)\b", text, re.I))
    if wanted == "name":
        asked = key_terms(question).names
        return any(n not in asked for n in key_terms(f"and {text}").names)
    return True


def _split_end(sentence: str) -> tuple[str, str]:
    match = re.search(r"[.!?…]+[\"”']?$", sentence)
    if not match:
        return sentence, "."
    return sentence[: match.start()].rstrip(), match.group()


def _citation(e: Evidence, n: int) -> Citation:
    return Citation(
        n=n,
        source=e.source,
        title=e.title,
        date=e.date,
        language=e.language,
        quote=e.text,
        start=e.start,
        end=e.end,
        score=e.score,
        context=e.context,
        context_start=e.context_start,
    )
