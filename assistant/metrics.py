"""Evaluation metrics: pure functions, no LLM judge, each tested with tables of hand-made cases.

Scoring works on two plain values: `Gold` (what a question file says is right) and `Outcome` (what
a system did: its answer text, refusal, cited spans, ranked retrieved documents and timings).
`score` turns one pair into a JSON-friendly dict; `summarize` aggregates those dicts into the
metrics of the summary table. Definitions are in `METRICS` (shown in the report).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assistant.citations import CITE_RE, Span, missing_terms, split_answer
from index.dates import resolve_relative_dates
from index.language import detect_language
from index.languages import all_languages, fold

# English and Swedish articles, dropped like SQuAD drops a/an/the ("ett flygplan" == "flygplan").
ARTICLES = frozenset({"a", "an", "the", "en", "ett", "den", "det", "de"})
_KEEP_LETTERS = frozenset("åäöÅÄÖ")  # Swedish letters are letters, not accented a and o
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|„[^“”]*[“”]")


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """How one summary metric is labelled and read."""

    key: str
    label: str  # short column name for tables and the chart
    description: str
    higher_is_better: bool = True
    seconds: bool = False


METRICS: tuple[MetricInfo, ...] = (
    MetricInfo("accuracy", "acc", "answerable questions answered (not refused) with a gold "
               "answer in the normalised text"),
    MetricInfo("exact_match", "EM", "answerable questions whose normalised answer equals a gold "
               "answer (SQuAD-style; the short answer when the system gives one, else the "
               "whole text without citation markers, which is near 0 for sentence answers)"),
    MetricInfo("f1", "F1", "token F1 of the same answer (short if given) against the best gold "
               "answer, answerable questions"),
    MetricInfo("refusal_accuracy", "refuse", "unanswerable questions that were refused"),
    MetricInfo("false_refusal_rate", "false-ref", "answerable questions that were refused",
               higher_is_better=False),
    MetricInfo("hit@1", "hit@1", "answerable questions whose top retrieved document is a gold "
               "source (ranked distinct documents of the retriever's chunks)"),
    MetricInfo("hit@3", "hit@3", "answerable questions with a gold source among the top 3 "
               "retrieved documents"),
    MetricInfo("mrr", "MRR", "mean reciprocal rank of the first gold source among retrieved "
               "documents"),
    MetricInfo("citation_precision", "cite-P", "citations in non-refused answers to answerable "
               "questions that point at a gold source (0 when nothing was cited)"),
    MetricInfo("citation_recall", "cite-R", "answerable questions answered with at least one "
               "citation to a gold source"),
    MetricInfo("support", "support", "answer sentences whose cited quotes contain all their "
               "numbers, dates and names (assistant.citations.missing_terms; a sentence without "
               "a resolvable citation is unsupported; none when no answer had a sentence)"),
    MetricInfo("yes_no_agreement", "yes/no", "answered yes/no questions (the gold's first "
               "answer is a yes or a no) whose own words, quotes left out, say that yes or no "
               "first: accuracy also counts a \"Yes.\" before a quote that holds a gold phrase; "
               "none when no such question was answered"),
    MetricInfo("language_match", "lang", "answers written in the question's language (quotes "
               "and citation markers ignored)"),
    MetricInfo("latency_p50_s", "p50 s", "median seconds per question, end to end",
               higher_is_better=False, seconds=True),
    MetricInfo("latency_p95_s", "p95 s", "95th percentile seconds per question",
               higher_is_better=False, seconds=True),
    MetricInfo("first_token_p50_s", "TTFT50", "median seconds until the first answer text "
               "(the whole answer when nothing was streamed)", higher_is_better=False,
               seconds=True),
    MetricInfo("first_token_p95_s", "TTFT95", "95th percentile seconds until the first answer "
               "text", higher_is_better=False, seconds=True),
)  # fmt: skip
QUALITY = tuple(m for m in METRICS if not m.seconds)


@dataclass(frozen=True, slots=True)
class Gold:
    """What a question file says the right behaviour is."""

    answers: tuple[str, ...]
    sources: tuple[str, ...]  # substrings of the file names that hold the evidence
    answerable: bool
    lang: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one system did with one question."""

    text: str
    refused: bool
    cited_sources: tuple[str, ...] = ()  # file name or path of every citation
    spans: tuple[Span, ...] = ()  # the cited quotes under their [n], with resolved dates
    retrieved: tuple[str, ...] = ()  # file names of the retrieved chunks, best first
    latency_s: float = 0.0
    first_token_s: float | None = None
    short: str | None = None  # the short answer, if the system gives one ("July 2016")

    @property
    def prediction(self) -> str:
        """What SQuAD-style exact match and F1 compare: the short answer, else the text."""
        return self.short if self.short else self.text


# --- text ------------------------------------------------------------------------------------


def strip_citations(text: str) -> str:
    """Remove [n] markers so their numbers never count as answer tokens."""
    return CITE_RE.sub("", text)


def _fold_char(char: str) -> str:
    if char in _KEEP_LETTERS:
        return char
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """SQuAD-style: lower case, accents folded (not å ä ö), punctuation and dashes → space, no
    English or Swedish articles, single spaces."""
    text = "".join(_fold_char(c) for c in unicodedata.normalize("NFC", strip_citations(text)))
    text = text.lower().replace("'", "").replace("’", "")  # "Anna's" == "Annas"
    # Every Unicode punctuation mark (dashes of all widths included) separates words; deleting
    # them instead would glue "24–25" into "2425".
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(w for w in text.split() if w not in ARTICLES)


def tokens(text: str) -> list[str]:
    return normalize(text).split()


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    """1.0 if the normalised prediction is not empty and equals a normalised gold answer."""
    # An empty answer is never right, even against a gold answer that normalises to nothing.
    pred = normalize(prediction)
    return float(bool(pred) and any(pred == normalize(g) for g in golds))


def _f1(pred: list[str], gold: list[str]) -> float:
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0  # includes an empty prediction or gold: nothing said is nothing right
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Iterable[str]) -> float:
    """Best SQuAD token F1 of prediction against the gold answers."""
    pred = tokens(prediction)
    return max((_f1(pred, tokens(g)) for g in golds), default=0.0)


def contains_answer(prediction: str, golds: Iterable[str]) -> bool:
    """True if a gold answer occurs in the prediction as whole normalised words ("11" ≠ "110")."""
    padded = f" {normalize(prediction)} "
    return any((n := normalize(g)) and f" {n} " in padded for g in golds)


def _yes_and_no() -> tuple[set[str], set[str]]:
    """The folded yes words and no words of every supported language."""
    languages = all_languages()
    return {fold(lang.yes) for lang in languages}, {fold(lang.no) for lang in languages}


def says_yes(text: str) -> bool | None:
    """True when text's first yes or no word (of any supported language, "Ja", "No", "Nein")
    outside quotes is a yes, False when a no, None when it says neither."""
    yes, no = _yes_and_no()
    for word in re.findall(r"\w+", _QUOTED.sub(" ", strip_citations(text))):
        if (folded := fold(word)) in yes | no:
            return folded in yes
    return None


def answer_language(text: str) -> str:
    """The language an answer is written in, ignoring quoted source text and citation markers."""
    own = _QUOTED.sub(" ", strip_citations(text))
    return detect_language(own if own.strip(" .:") else text)


# --- evidence: where an answer is lost on its way to the model ---------------------------------

SHOWN, NOT_SHOWN, NOT_RETRIEVED = "shown", "retrieved, not shown", "not retrieved"


def fact_answers(golds: Iterable[str]) -> tuple[str, ...]:
    """The gold answers that are facts to find in a text: a bare yes or no (of any supported
    language) is said by the answer, not found in the documents."""
    yes, no = _yes_and_no()
    return tuple(g for g in golds if fold(g.strip()) not in yes | no)


def evidence_stage(golds: Iterable[str], chunks: Iterable[str], shown: Iterable[str]) -> str | None:
    """Where a gold answer stands on its way to the model: in a sentence it was shown (SHOWN),
    only in a retrieved chunk (NOT_SHOWN), or in neither (NOT_RETRIEVED). None when the gold
    holds no fact to look for (a bare yes or no)."""
    facts = fact_answers(golds)
    if not facts:
        return None
    if any(contains_answer(text, facts) for text in shown):
        return SHOWN
    if any(contains_answer(text, facts) for text in chunks):
        return NOT_SHOWN
    return NOT_RETRIEVED


# --- retrieval ---------------------------------------------------------------------------------


def is_gold_source(name: str, sources: Iterable[str]) -> bool:
    """True if the file name (of a path) contains one of the gold source substrings."""
    base = Path(name).name.casefold()
    return any(s.casefold() in base for s in sources if s)


def ranked_documents(names: Iterable[str]) -> list[str]:
    """Distinct documents in the order their first chunk was ranked."""
    return list(dict.fromkeys(Path(n).name for n in names if n))


def hit_at_k(retrieved: Sequence[str], sources: Sequence[str], k: int) -> float:
    """1.0 if a gold source is among the top k distinct retrieved documents."""
    return float(any(is_gold_source(n, sources) for n in ranked_documents(retrieved)[:k]))


def reciprocal_rank(retrieved: Sequence[str], sources: Sequence[str]) -> float:
    """1 / rank of the first gold document among the distinct retrieved documents, or 0."""
    for rank, name in enumerate(ranked_documents(retrieved), start=1):
        if is_gold_source(name, sources):
            return 1.0 / rank
    return 0.0


# --- citations and support ---------------------------------------------------------------------


class CitationLike(Protocol):
    """What support checking reads from a citation (assistant.answer.Citation has it)."""

    @property
    def n(self) -> int: ...
    @property
    def quote(self) -> str: ...
    @property
    def date(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def context(self) -> str: ...
    @property
    def context_start(self) -> int: ...


def spans_of(citations: Iterable[CitationLike]) -> tuple[Span, ...]:
    """The checker's Spans for an answer's citations, with relative dates resolved like the
    engine resolves them for evidence (document date + the text before the quote)."""
    spans = []
    for c in citations:
        before = c.context[: max(0, c.start - c.context_start)] if c.context else ""
        notes = tuple(r for _, r in resolve_relative_dates(c.quote, c.date, context=before))
        spans.append(Span(c.n, c.quote, notes, c.language))
    return tuple(spans)


def support_counts(text: str, spans: Sequence[Span]) -> tuple[int, int]:
    """(supported, total) answer sentences: supported when it cites at least one span that
    resolves and the cited spans contain all its numbers, dates and names."""
    by_n = {s.n: s for s in spans}
    supported = total = 0
    for sentence, cited in split_answer(text):
        total += 1
        cited_spans = [by_n[n] for n in cited if n in by_n]
        if cited_spans and not missing_terms(sentence, cited_spans):
            supported += 1
    return supported, total


# --- per question and summary ------------------------------------------------------------------

KS = (1, 3)


def score(gold: Gold, outcome: Outcome) -> dict[str, Any]:
    """Per-question scores; None where a metric does not apply to this question."""
    answerable, refused = gold.answerable, outcome.refused
    answered = answerable and not refused
    # A refusal has nothing to support or cite, whatever the system attached to it.
    cited = () if refused else outcome.cited_sources
    gold_cited = sum(is_gold_source(s, gold.sources) for s in cited) if answerable else 0
    supported, sentences = (0, 0) if refused else support_counts(outcome.text, outcome.spans)
    language = answer_language(outcome.text)
    scores: dict[str, Any] = {
        "answerable": answerable,
        "refused": refused,
        "correct": int(answered and contains_answer(outcome.text, gold.answers))
        if answerable else None,
        "exact_match": (exact_match(outcome.prediction, gold.answers) if answered else 0.0)
        if answerable else None,
        "f1": (round(token_f1(outcome.prediction, gold.answers), 4) if answered else 0.0)
        if answerable else None,
        "refusal_correct": None if answerable else int(refused),
        "yes_no_agreement": _yes_no_agreement(gold, outcome) if answered else None,
    }  # fmt: skip
    for k in KS:
        scores[f"hit@{k}"] = hit_at_k(outcome.retrieved, gold.sources, k) if answerable else None
    scores["rr"] = (
        round(reciprocal_rank(outcome.retrieved, gold.sources), 4) if answerable else None
    )
    scores.update(
        {
            "citations": len(cited) if answerable else 0,
            "gold_citations": gold_cited,
            "cited_gold": int(gold_cited > 0) if answerable else None,
            "sentences": sentences,
            "supported": supported,
            "answer_language": language,
            "language_match": int(language == gold.lang),
            "latency_s": round(outcome.latency_s, 3),
            "first_token_s": round(outcome.first_token_s, 3)
            if outcome.first_token_s is not None else None,
        }
    )  # fmt: skip
    return scores


def _yes_no_agreement(gold: Gold, outcome: Outcome) -> int | None:
    """1 when the answer says the gold's yes or no, 0 when not; None for other questions."""
    wanted = says_yes(gold.answers[0]) if gold.answers else None
    if wanted is None or len(tokens(gold.answers[0])) != 1:
        return None
    return int(says_yes(outcome.text) is wanted)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0–100), linearly interpolated like numpy's default; None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _support(scores: Sequence[dict[str, Any]]) -> float | None:
    """Supported share of all answer sentences; None when there were no sentences to judge."""
    sentences = sum(s["sentences"] for s in scores)
    return sum(s["supported"] for s in scores) / sentences if sentences else None


def summarize(scores: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """Aggregate per-question scores into the summary metrics (keys of METRICS)."""
    answerable = [s for s in scores if s["answerable"]]
    unanswerable = [s for s in scores if not s["answerable"]]
    latencies = [s["latency_s"] for s in scores]
    first = [s["first_token_s"] if s["first_token_s"] is not None else s["latency_s"]
             for s in scores]  # fmt: skip
    summary: dict[str, float | None] = {
        "accuracy": _mean(s["correct"] for s in answerable),
        "exact_match": _mean(s["exact_match"] for s in answerable),
        "f1": _mean(s["f1"] for s in answerable),
        "refusal_accuracy": _mean(s["refusal_correct"] for s in unanswerable),
        "false_refusal_rate": _mean(float(s["refused"]) for s in answerable),
        **{f"hit@{k}": _mean(s[f"hit@{k}"] for s in answerable) for k in KS},
        "mrr": _mean(s["rr"] for s in answerable),
        "citation_precision": _ratio(
            sum(s["gold_citations"] for s in answerable), sum(s["citations"] for s in answerable)
        ) if answerable else None,
        "citation_recall": _mean(s["cited_gold"] for s in answerable),
        "support": _support(scores),
        "yes_no_agreement": _mean(s.get("yes_no_agreement") for s in answerable),
        "language_match": _mean(s["language_match"] for s in scores),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "first_token_p50_s": percentile(first, 50),
        "first_token_p95_s": percentile(first, 95),
    }  # fmt: skip
    return {k: (round(v, 4) if v is not None else None) for k, v in summary.items()}
