"""Composition: from evidence and the model's draft to the final, checked answer. Pure code.

The refusal gate (answerability), the check of the draft (assistant.citations), the quoted
fallback when the draft fails, the other document's version of a date or number, and the short
answer. Nothing here calls a model, so every decision is tested with tables of cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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
from assistant.evidence import Evidence
from assistant.retrieval import STOPWORDS
from assistant.schema import Citation, Prepared
from assistant.settings import REFUSALS
from assistant.short_answer import answer_type, has_answer_type, short_answer

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


@dataclass(frozen=True, slots=True)
class Composed:
    """The final answer text with its citations, what checking removed, and how it was made."""

    text: str
    citations: tuple[Citation, ...] = ()
    removed: tuple[str, ...] = ()
    mode: str = "refused"  # "generated" | "quoted" | "refused"
    short: str | None = None  # the date, number or name that answers, when there is one


def compose(prepared: Prepared, draft: str) -> Composed:
    """The final answer from a draft and its evidence. Pure."""
    language = prepared.language
    refusal = Composed(REFUSALS[language])
    if prepared.refusal_reason or not prepared.evidence:
        return refusal
    by_n = {e.n: e for e in prepared.evidence}
    best = prepared.evidence[0]
    question = prepared.standalone
    if looks_like_refusal(draft):
        # The small model also refuses when the answer is right there; evidence that holds
        # every term of the question and scores high is then quoted rather than withheld.
        # (Anything less is not enough: "What did Erdogan eat?" matches Erdogan sentences.)
        strong = best.score >= STRONG_EVIDENCE and best.lexical >= 0.99
        if strong and quotable(best, question, language):
            return _quoted(best, question, language, ())
        return refusal
    spans = [e.span() for e in prepared.evidence]
    result: CheckResult = check_answer(draft, spans, language=language, question=question)
    removed = tuple(c.sentence for c in result.removed)
    # "When ...?" answered without a date, or "How many ...?" without a number, is no answer.
    wanted = answer_type(question)
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
        short = next(
            (a for c in kept if (a := short_answer(c.sentence, question)) is not None), None
        )
        return Composed(text, citations, removed, "generated", short)
    chosen = best_quote(prepared.evidence, wanted=wanted, question=question, language=language)
    if chosen is None:
        return Composed(refusal.text, (), removed)
    return _quoted(chosen, question, language, removed, prepared, wanted)


def _quoted(
    e: Evidence,
    question: str,
    language: str,
    removed: tuple[str, ...],
    prepared: Prepared | None = None,
    wanted: str | None = None,
) -> Composed:
    text, used = _quote(e, language), [e]
    if prepared is not None:
        text, used = _with_other_source(text, used, prepared, wanted)
    citations = tuple(_citation(u, i) for i, u in enumerate(used, start=1))
    return Composed(text, citations, removed, "quoted", short_answer(e.text, question))


def quotable(e: Evidence, question: str, language: str) -> bool:
    """A sentence in another language than the question may only be quoted as the answer when
    it holds the question's names, numbers and months and its topic, or a name rare among the
    retrieved sentences (Evidence.anchored, assistant.crosslang): its words cannot be checked,
    so they must at least be about the question."""
    return e.language == language or e.anchored


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
    evidence: Sequence[Evidence], *, wanted: str | None, question: str, language: str
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
        and (
            quotable(e, question, language)
            if e.language != language
            else topical(question, e.text) >= QUOTE_MIN_LEXICAL
        )
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
    # The lead names no language: "Swedish" would read as a name the quote must contain.
    return f'{QUOTE_LEAD.get(language, QUOTE_LEAD["en"])} "{e.text}"{dates} [1]'


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
