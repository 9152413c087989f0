"""Composition: from evidence and the model's draft to the final, checked answer. Pure code.

The refusal gate (answerability), the check of the draft (assistant.citations), the quoted
fallback when the draft fails, the other document's version of a date or number, and the short
answer. Nothing here calls a model, so every decision is tested with tables of cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.citations import (
    CITE_RE,
    CheckResult,
    SentenceCheck,
    Span,
    Verifier,
    adds_to,
    looks_like_refusal,
    missing_terms,
)
from assistant.evidence import Evidence
from assistant.schema import Citation, Prepared
from assistant.short_answer import TYPED_KINDS, answer_type, has_answer_type, short_answer
from assistant.text import (
    WORD_RE,
    content_words,
    fold,
    key_terms,
    numbers,
    spelled_alike,
    stem_match,
    stopwords,
)
from index.languages import get_language

NOT_MENTIONED = "the documents do not mention "
NO_DOCUMENT = "no document matched the question"
MODEL_FOUND_NONE = "the model found no answer in the evidence"
NO_SENTENCE_STANDS = (
    "no sentence of the model's answer is supported by the evidence it cites, "
    "and no evidence sentence answers the question on its own"
)
# A quote is offered as the answer: a heading ("Installing the program") is not a sentence that
# answers anything, and one that only repeats the question's words says nothing new.
QUOTE_MIN_WORDS = 5
# … unless it holds the date, number or name asked for: "Author: Jane Doe." answers
# "Who wrote the section?" (a heading is never a candidate, and it must add to the question).
QUOTE_MIN_WORDS_FACT = 3


@dataclass(frozen=True, slots=True)
class ComposeSettings:
    """The thresholds that decide whether an answer stands (assistant.settings.AnswerSettings
    holds them with their meaning; this is the plain value the pure functions take)."""

    quote_min_lexical: float = 0.5  # a quoted fallback must hold this share of the question's terms
    quote_min_dense: float = 0.5  # … or this close in meaning (another language, or a typed fact)
    strong_evidence: float = 0.45  # a best-evidence score this high means the documents answer
    yes_no_min_topical: float = 0.33  # a yes/no quote close in meaning must hold this share of
    # the question's other words (its answer is its own statement, not a new fact)
    yes_no_statement: float = 0.6  # evidence this close in meaning to a yes/no question states
    # what it asks (or its negation), whatever words it uses
    other_min_lexical: float = 0.35  # another document's version may match the question less
    other_source_share: float = 0.8  # … but must score this share of the cited sentence


def answerability(
    question: str, evidence: Sequence[Evidence], min_score: float, *, language: str = "en"
) -> str | None:
    """Why the evidence cannot answer question, or None if it may. Pure; no LLM involved.

    The documents must mention every name and number of the question (a name only when the
    evidence is in the question's language, or when it is written alike in every language, as
    identifiers and acronyms are: "Sverige" and "Sweden" differ, "luksFormat" does not), and the
    best evidence sentence must score at least min_score.
    """
    if not evidence:
        return NO_DOCUMENT
    best = evidence[0]
    same = [e for e in evidence if e.language == language]
    # An example the question gives ("names such as enp3s0", "till exempel 30") illustrates what
    # it asks about; the documents need not mention it.
    question = get_language(language).without_examples(question)
    missing = unmentioned(
        question, [e.text + " " + e.context for e in evidence], evidence, language=language
    )
    if not same:
        names = key_terms(question, language).names
        missing = [m for m in missing if m not in names]
        vocabulary = {fold(w) for e in evidence for w in WORD_RE.findall(f"{e.text} {e.context}")}
        missing += [a for a in sorted(spelled_alike(question)) if not _written(a, vocabulary)]
    if missing:
        return NOT_MENTIONED + ", ".join(missing)
    if best.score < min_score:
        return (
            f"no passage of the documents is close enough to the question "
            f"(best {best.score:.2f} < {min_score:.2f})"
        )
    return None


def unmentioned(
    question: str,
    texts: Sequence[str],
    evidence: Sequence[Evidence] = (),
    *,
    language: str | None = None,
) -> list[str]:
    """Names, numbers and months of the question that none of texts contains.

    Only numbers written as digits count: "the two presidents" does not ask for a 2.
    """
    notes = tuple(r for e in evidence for _, r in e.notes)
    missing = missing_terms(question, [Span(0, " ".join(texts), notes)], language=language)
    return [m for m in missing if not m.isdigit() or re.search(rf"\b{m}\b", question)]


@dataclass(frozen=True, slots=True)
class Composed:
    """The final answer text with its citations, what checking removed, and how it was made."""

    text: str
    citations: tuple[Citation, ...] = ()
    removed: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # why each of removed was dropped, in its order
    mode: str = "refused"  # "generated" | "quoted" | "refused"
    short: str | None = None  # the date, number or name that answers, when there is one
    why: str | None = None  # why it was refused, for the user and the eval's report


def compose(
    prepared: Prepared,
    draft: str,
    verifier: Verifier | None = None,
    settings: ComposeSettings | None = None,
) -> Composed:
    """The final answer from a draft and its evidence. Pure (given the verifier)."""
    settings = settings or ComposeSettings()
    language = prepared.language
    lang = get_language(language)
    refusal = Composed(lang.refusal, why=MODEL_FOUND_NONE)
    if prepared.refusal_reason or not prepared.evidence:
        return replace(refusal, why=prepared.refusal_reason or NO_DOCUMENT)
    by_n = {e.n: e for e in prepared.evidence}
    best = prepared.evidence[0]
    question = prepared.standalone
    wanted = answer_type(question, language)
    if looks_like_refusal(draft):
        # The small model also refuses when the answer is right there; evidence that holds
        # every term of the question and scores high is then quoted rather than withheld, and
        # so is a statement of what a yes/no question asks.
        strong = best.score >= settings.strong_evidence and best.lexical >= 0.99
        if strong and has_answer_type(best.facts_text, wanted, question):
            return _quoted(best, question, language)
        if wanted == "yesno":
            stated = yes_no_statement(prepared.evidence, question, language, settings)
            if stated is not None:
                return _quoted(stated, question, language)
        return refusal
    spans = [e.span() for e in prepared.evidence]
    # The draft is written in the reply language (the evidence's when none is in the question's)
    # and checked in it; it reaches the user in the question's language (below).
    reply = prepared.reply_language
    result: CheckResult = (verifier or Verifier()).check(
        draft, spans, language=reply, question=question
    )
    # "When ...?" answered without a date, or "How many ...?" without a number, is no answer.
    kept = tuple(
        c
        for c in result.kept
        if has_answer_type(c.sentence, wanted, question)
        # A yes or a no stands on a statement: a bare "timeout [OPTION]" copied from a synopsis
        # says nothing a yes or a no could be read from.
        and (wanted != "yesno" or _states(c.sentence, reply))
    )
    dropped = [(c.sentence, c.reason) for c in result.removed] + [
        (c.sentence, f"gives no {wanted}") for c in result.kept if c not in kept
    ]
    removed = tuple(sentence for sentence, _ in dropped)
    reasons = tuple(reason for _, reason in dropped)
    if kept and reply != language:
        return _relayed(kept, by_n, prepared, wanted, removed, reasons, settings)
    if kept:
        numbering: dict[int, int] = {}
        parts = []
        for check in kept:
            marks = "".join(f"[{numbering.setdefault(n, len(numbering) + 1)}]" for n in check.cited)
            body, end = _split_end(check.sentence)
            parts.append(f"{body} {marks}{end}")
        used = [by_n[old] for old in numbering]
        text = " ".join(parts)
        short = next(
            (a for c in kept if (a := short_answer(c.sentence, question)) is not None), None
        )
        bare = WORD_RE.findall(CITE_RE.sub("", text))
        if wanted == "yesno" and short is not None and not _opens_with_yes_no(text, reply):
            # "Der Eintrag wird nicht benutzt [1]." answers "Wird der Eintrag benutzt?" with
            # no: the reader gets the no it implies first.
            text = f"{short}. {text}"
        elif len(bare) < 2 or (short is not None and bare == WORD_RE.findall(short)):
            # A bare "11 [1].", "2016 [1]." or "Jane Doe [1]." is in no language: the answer
            # lead says it in the question's.
            text = f"{lang.short_lead} {text}"
        text, used = _with_other_source(text, used, prepared, wanted, settings)
        citations = tuple(_citation(e, i) for i, e in enumerate(used, start=1))
        return Composed(text, citations, removed, reasons, "generated", short)
    chosen = best_quote(
        prepared.evidence,
        wanted=wanted,
        question=question,
        language=language,
        settings=settings,
        drafts=removed,
    )
    if chosen is None:
        return Composed(refusal.text, (), removed, reasons, why=NO_SENTENCE_STANDS)
    return _quoted(chosen, question, language, removed, reasons, prepared, wanted, settings)


def _states(sentence: str, language: str) -> bool:
    """True when sentence opens with a yes or a no, or is a statement: QUOTE_MIN_WORDS_FACT
    words or more, its citation marks left out."""
    return _opens_with_yes_no(sentence, language) or (
        _words(CITE_RE.sub("", sentence)) >= QUOTE_MIN_WORDS_FACT
    )


def _opens_with_yes_no(text: str, language: str) -> bool:
    """True when text opens with a yes or a no ("Yes, …", "Nein.")."""
    lang = get_language(language)
    first = WORD_RE.match(text.lstrip())
    return bool(first) and fold(first.group()) in lang.affirmative | {fold(lang.no)}


def _quoted(
    e: Evidence,
    question: str,
    language: str,
    removed: tuple[str, ...] = (),
    reasons: tuple[str, ...] = (),
    prepared: Prepared | None = None,
    wanted: str | None = None,
    settings: ComposeSettings | None = None,
    *,
    short: str | None = None,
) -> Composed:
    short = short or short_answer(e.facts_text, question)
    text, used = _quote(e, language, short), [e]
    if prepared is not None:
        text, used = _with_other_source(text, used, prepared, wanted, settings or ComposeSettings())
    citations = tuple(_citation(u, i) for i, u in enumerate(used, start=1))
    return Composed(text, citations, removed, reasons, "quoted", short)


def _relayed(
    kept: Sequence[SentenceCheck],
    by_n: dict[int, Evidence],
    prepared: Prepared,
    wanted: str | None,
    removed: tuple[str, ...],
    reasons: tuple[str, ...],
    settings: ComposeSettings,
) -> Composed:
    """A checked draft in the evidence's language, shown in the question's: the evidence
    sentence it cites, quoted, after the short answer the draft gives ("Svar: 10.0.2.1.
    Dokumenten säger: "…" [1]"). The quote is the document's own text, so nothing the user
    reads is the model's wording in a language they did not ask in."""
    check = kept[0]
    cited = by_n[check.cited[0]]
    short = short_answer(check.sentence, prepared.standalone)
    composed = _quoted(
        cited,
        prepared.standalone,
        prepared.language,
        removed,
        reasons,
        prepared,
        wanted,
        settings,
        short=short,
    )
    return replace(composed, mode="generated")


def other_source(
    cited: Sequence[Evidence],
    evidence: Sequence[Evidence],
    wanted: str | None,
    question: str = "",
    settings: ComposeSettings | None = None,
) -> Evidence | None:
    """Evidence from another document that gives the same kind of fact (a date, a number).

    Two documents often report one event with different detail ("three men" against "several
    soldiers"); when the question asks for a date or a number, the answer shows the other
    document's version too rather than silently picking one.
    """
    settings = settings or ComposeSettings()
    if wanted not in {"date", "number"} or not cited:
        return None
    documents = {e.doc_id for e in cited}
    said = {" ".join(e.text.split()) for e in cited}
    top = max(e.score for e in cited)
    for e in evidence:
        if (
            e.doc_id not in documents
            and " ".join(e.text.split()) not in said  # the same sentence in two documents
            and e.score >= top * settings.other_source_share
            and e.lexical >= settings.other_min_lexical
            and has_answer_type(e.facts_text, wanted, question)
        ):
            return e
    return None


def _with_other_source(
    text: str,
    used: list[Evidence],
    prepared: Prepared,
    wanted: str | None,
    settings: ComposeSettings,
) -> tuple[str, list[Evidence]]:
    other = other_source(used, prepared.evidence, wanted, prepared.standalone, settings)
    if other is None:
        return text, used
    n = len(used) + 1
    lead = get_language(prepared.language).other_source
    return f'{text} {lead} "{other.text}"{other.dates_note()} [{n}]', [*used, other]


def best_quote(
    evidence: Sequence[Evidence],
    *,
    wanted: str | None,
    question: str,
    language: str = "en",
    settings: ComposeSettings | None = None,
    drafts: Sequence[str] = (),
) -> Evidence | None:
    """The sentence to quote when the model's answer failed, or None.

    A quote is offered as the answer, so it must hold the kind of fact asked for (a date for
    "when", a number for "how many"), the question's own years and days, and either enough of
    the question's words and topic (same language) or be close to it in meaning.
    """
    settings = settings or ComposeSettings()
    if wanted == "yesno" and (stated := yes_no_statement(evidence, question, language, settings)):
        return stated
    top = evidence[0].score if evidence else 0.0
    candidates = [
        e
        for e in evidence
        if e.score >= top * 0.75
        and _words(e.text) >= (QUOTE_MIN_WORDS_FACT if wanted in TYPED_KINDS else QUOTE_MIN_WORDS)
        and adds_to(e.text, question, language=e.language)
        and has_answer_type(e.facts_text, wanted, question, passage=e.context or None)
        and _holds_question_digits(question, e)
        and _holds_question_names(question, e, language, evidence)
        and (
            (e.lexical >= settings.quote_min_lexical
             and topical(question, e.text, language) >= settings.quote_min_lexical)
            # Meaning stands in for words across languages, where the quote holds the very kind
            # of fact asked for (a date for "when"), for a yes/no question (a statement close
            # to what it asks says yes or, negated, no) when it also holds some of the question's
            # own words (its answer is its own statement: one sharing only its topic says yes or
            # no to something else; across languages meaning alone decides), and where it holds
            # what the model's removed draft said beyond the question (the model read the answer
            # there but worded it badly). Otherwise a sentence close in meaning that lacks the
            # question's words is about the topic, not an answer ("All enquiries go to the help
            # desk." for "What is the help desk's e-mail address?").
            or (e.dense >= settings.quote_min_dense
                and (e.language != language or wanted in TYPED_KINDS
                     or (wanted == "yesno"
                         and topical(question, e.text, language) >= settings.yes_no_min_topical)
                     or any(_agrees(d, question, e.text) for d in drafts)))
        )
    ]  # fmt: skip
    return max(candidates, key=lambda e: (e.score, e.lexical)) if candidates else None


def yes_no_statement(
    evidence: Sequence[Evidence],
    question: str,
    language: str,
    settings: ComposeSettings | None = None,
) -> Evidence | None:
    """The evidence sentence that states what a yes/no question asks, or its negation: the one
    closest to the question in meaning, when at least settings.yes_no_statement close, and
    naming what the question names. Its negation gives the yes or the no (short_answer).

    Meaning, not shared words, decides: "This does not preserve the environment of the current
    user." answers "Is my environment kept with su -l?" in other words. A sentence that
    close in meaning is about the question's own statement, not just its topic (dev splits:
    every answerable yes/no question with a sentence that close, one unanswerable one).
    """
    settings = settings or ComposeSettings()
    candidates = [
        e
        for e in evidence
        if e.dense >= settings.yes_no_statement
        and _words(e.text) >= QUOTE_MIN_WORDS_FACT
        # Its own statement in the question's words answers yes ("Foliant keeps a backup copy
        # of each project."): unlike other quotes it need not add to the question, but a
        # question in the documents (a FAQ's heading) answers nothing.
        and not e.text.rstrip().endswith("?")
        and _holds_question_names(question, e, language, evidence)
    ]
    return max(candidates, key=lambda e: e.dense) if candidates else None


def _agrees(draft: str, question: str, text: str) -> bool:
    """True when what draft says beyond the question (its numbers and content words) is all in
    text, and it says something: "The author reached 53.3 ms." agrees with "You see the
    latency is about 53.3 ms" for "What latency did the author reach?"."""
    asked = content_words(question)
    own_numbers = numbers(draft) - numbers(question)
    own_words = {w for w in content_words(draft) if not stem_match(w, asked)}
    if not own_numbers and not own_words:
        return False
    vocabulary = content_words(text)
    return own_numbers <= numbers(text) and all(stem_match(w, vocabulary) for w in own_words)


def _words(text: str) -> int:
    """Words separated by spaces that hold a letter: a URL or a path is one word, not five."""
    return sum(1 for w in text.split() if WORD_RE.search(w))


def _holds_question_names(
    question: str, e: Evidence, language: str, evidence: Sequence[Evidence] = ()
) -> bool:
    """The quote or where it stands (its document's title, its heading, its passage) names what
    the question names: "3 students per computer" in a passage about all schools is no answer
    to "How many students does school X have?".

    Names are spelled differently across languages ("Sverige"/"Sweden"): a quote in another
    language is held only to the names that some evidence in its language spells as the
    question does ("Kyoto"), and to those written alike in every language ("luksFormat").
    """
    names = key_terms(question, language).names
    alike = spelled_alike(question)
    if e.language != language:
        spelled = {
            fold(w)
            for other in evidence
            if other.language == e.language
            for w in WORD_RE.findall(f"{other.text} {other.context}")
        }
        names = frozenset(n for n in names if n in spelled)
    span = e.span()
    vocabulary = {fold(w) for w in WORD_RE.findall(f"{span.text} {span.title} {span.passage}")}
    return all(stem_match(n, vocabulary) for n in names if n not in alike) and all(
        _written(a, vocabulary) for a in alike
    )


def _written(identifier: str, vocabulary: set[str]) -> bool:
    """True when vocabulary holds identifier itself or a word that starts with it ("luks" in
    "luks2"): an identifier is not matched by its stem ("luksFormat" is not "LUKS")."""
    return any(w == identifier or w.startswith(identifier) for w in vocabulary)


def _holds_question_digits(question: str, e: Evidence) -> bool:
    """A year, day or month the question asks about must be in the quote (or its resolved
    dates): "What happened in February 2017?" is not answered by a sentence about January."""
    facts = e.facts_text
    if not all(re.search(rf"\b{d}\b", facts) for d in re.findall(r"\d+", question)):
        return False
    return key_terms(question).months <= key_terms(facts).months


def topical(question: str, text: str, language: str | None = None) -> float:
    """Share of the question's words other than names found in text (same language only).

    Names weigh double in evidence scores, so a sentence about a person matches "How much did
    X pay?" well; a quote must also share the question's other words ("pay").
    """
    names = key_terms(question, language).names
    words = {w for w in content_words(question) if w not in names and w not in stopwords()}
    if not words:
        return 1.0
    vocabulary = content_words(text)
    return sum(stem_match(w, vocabulary) for w in words) / len(words)


def _quote(e: Evidence, language: str, short: str | None) -> str:
    """The quote answer in the question's language: the short answer first when there is one.

    The resolved dates go before the marker: they are part of what [1] supports.
    """
    lang = get_language(language)
    lead = f"{lang.short_lead} {short}. " if short else ""
    # A lead-in and the command on the line after it read as one line here; the citation
    # keeps the exact text with its offsets.
    quoted = " ".join(e.text.split())
    return f'{lead}{lang.quote_lead} "{quoted}"{e.dates_note()} [1]'


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
