"""Citation checking: pure functions that decide which answer sentences the evidence supports.

Small models cite numbers that do not exist and state dates the evidence never gives, so every
answer sentence is checked against the spans it cites: its numbers, months and names must occur
there (or in the span's resolved relative dates). Nothing here calls a model; it is plain code
tested with tables of cases, so the guarantee does not depend on the LLM behaving.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from index.chunking import split_sentences
from index.dates import month_number

CITE_RE = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER_RE = re.compile(r"\d+(?:[.,:]\d+)*")
_WORD_RE = re.compile(r"[^\W\d_][\w'’:-]*", re.UNICODE)

# Spelled-out numbers the models and the articles use ("three soldiers", "tre soldater").
# "one"/"en"/"ett" are left out: they are articles far more often than numbers.
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100,
    "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sju": 7, "åtta": 8, "nio": 9, "tio": 10,
    "elva": 11, "tolv": 12, "tjugo": 20, "hundra": 100,
}  # fmt: skip

# Capitalised words that are not names: sentence openers, pronouns, weekdays and the like.
_NOT_NAMES = {
    "i", "the", "a", "an", "in", "on", "at", "after", "before", "when", "while", "but", "and",
    "according", "this", "that", "these", "those", "it", "he", "she", "they", "we", "you",
    "there", "yes", "no", "however", "both", "its", "his", "her", "their", "our", "monday",
    "what", "where", "who", "whom", "why", "how", "which", "did", "does", "do", "is",
    "was", "were", "are", "can", "could", "vad", "var", "vem", "vilka", "vilken", "vilket",
    "varför", "hur", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "den", "det", "de", "en", "ett", "enligt", "efter", "före", "när", "men", "och", "han",
    "hon", "vi", "ni", "jag", "ja", "nej", "på", "vid", "under", "sedan", "dessa",
    "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag",
}  # fmt: skip

# The two seed languages name the same places differently; without these a Swedish answer built
# on English evidence (or the reverse) could never pass. Keys and values are lower-case stems.
_NAME_ALIASES = {
    "russia": ("ryssland", "rysk", "moscow", "moskva", "kreml"),
    "ryssland": ("russia", "russian", "moscow", "moskva", "kreml"),
    "rysk": ("russia", "russian"),
    "turkey": ("turkiet", "turkisk", "ankara"),
    "turkiet": ("turkey", "turkish", "ankara"),
    "turkisk": ("turkey", "turkish"),
    "moscow": ("moskva", "russia", "ryssland"),
    "moskva": ("moscow", "russia", "ryssland"),
    "syria": ("syrien",),
    "syrien": ("syria",),
    "kremlin": ("kreml",),
    "kreml": ("kremlin",),
    "petersburg": ("petersburg",),
}

REFUSAL_CUES = (
    "cannot answer",
    "can't answer",
    "not able to answer",
    "no information",
    "does not contain",
    "doesn't contain",
    "not mentioned",
    "kan inte svara",
    "inte svara på",
    "går inte att svara",
    "framgår inte",
)


@dataclass(frozen=True, slots=True)
class Span:
    """What an answer may cite: evidence number, its text and its resolved relative dates."""

    n: int
    text: str
    notes: tuple[str, ...] = ()
    language: str = "en"


@dataclass(frozen=True, slots=True)
class KeyTerms:
    """The facts in a sentence that its citation must back up."""

    numbers: frozenset[str]
    months: frozenset[int]
    names: frozenset[str]
    words: frozenset[str]


@dataclass(frozen=True, slots=True)
class SentenceCheck:
    """The verdict on one answer sentence."""

    sentence: str  # without citation markers
    cited: tuple[int, ...]  # evidence numbers that support it (after dropping invented ones)
    supported: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """All sentence verdicts of an answer."""

    checks: tuple[SentenceCheck, ...]

    @property
    def kept(self) -> tuple[SentenceCheck, ...]:
        return tuple(c for c in self.checks if c.supported)

    @property
    def removed(self) -> tuple[SentenceCheck, ...]:
        return tuple(c for c in self.checks if not c.supported)


def _fold(text: str) -> str:
    """Lower-case, unify dashes and quotes, and drop accents other than Swedish å ä ö."""
    text = unicodedata.normalize("NFC", text.lower())
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return text.replace("’", "'")


def _numbers(text: str) -> set[str]:
    found = {re.sub(r"[.,:](?=\d{3}\b)", "", m) for m in _NUMBER_RE.findall(text)}
    for word in _WORD_RE.findall(_fold(text)):
        if word in _NUMBER_WORDS:
            found.add(str(_NUMBER_WORDS[word]))
    return found


def _months(text: str) -> set[int]:
    months = set()
    for word in _WORD_RE.findall(_fold(text)):
        number = month_number(word)
        if number is not None:
            months.add(number)
    return months


def content_words(text: str) -> set[str]:
    """Lower-case words of four letters or more that carry meaning."""
    return {w for w in _WORD_RE.findall(_fold(text)) if len(w) >= 4 and w not in _NOT_NAMES}


def key_terms(sentence: str) -> KeyTerms:
    """Numbers, months and names in a sentence (citation markers already removed)."""
    words = _WORD_RE.findall(sentence)
    names: set[str] = set()
    for i, word in enumerate(words):
        folded = _fold(word).strip("'-:")
        # "al-Bab", "McDonald": a capital inside the word marks a name too.
        inner_capital = any(c.isupper() for c in word[1:]) and not word.isupper()
        if not (word[:1].isupper() or inner_capital):
            continue
        if folded in _NOT_NAMES or month_number(folded) is not None:
            continue
        # A capitalised first word is usually just a sentence opener; count it only when the
        # sentence repeats it capitalised or it has the look of a name (CamelCase).
        if i == 0 and not any(w == word for w in words[1:]) and not inner_capital:
            continue
        names.add(folded)
    return KeyTerms(
        numbers=frozenset(_numbers(sentence)),
        months=frozenset(_months(sentence)),
        names=frozenset(names),
        words=frozenset(content_words(sentence)),
    )


def _stem_match(term: str, vocabulary: set[str]) -> bool:
    """True if term occurs in vocabulary allowing inflection ("Turkiets" ~ "Turkiet")."""
    if term in vocabulary:
        return True
    stem = term[: max(4, len(term) - 2)]
    # Swedish compounds hold the word inside ("Turkietambassadören" ~ "ambassadören").
    inner = len(stem) >= 6
    return any(
        w.startswith(stem) or (len(w) >= 4 and term.startswith(w)) or (inner and stem in w)
        for w in vocabulary
    )


def _name_supported(name: str, vocabulary: set[str]) -> bool:
    if _stem_match(name, vocabulary):
        return True
    for key, aliases in _NAME_ALIASES.items():
        if name.startswith(key):
            return any(_stem_match(alias, vocabulary) for alias in aliases)
    return False


def missing_terms(sentence: str, spans: Sequence[Span]) -> list[str]:
    """Key terms of sentence that none of spans contains; empty means supported."""
    source = " ".join(s.text + " " + " ".join(s.notes) for s in spans)
    terms = key_terms(sentence)
    vocabulary = {_fold(w) for w in _WORD_RE.findall(source)}
    numbers, months = _numbers(source), _months(source)
    missing = [n for n in sorted(terms.numbers) if n not in numbers]
    missing += [f"month {m}" for m in sorted(terms.months) if m not in months]
    missing += [n for n in sorted(terms.names) if not _name_supported(n, vocabulary)]
    return missing


def _overlap(sentence: str, spans: Sequence[Span]) -> float:
    words = content_words(sentence)
    if not words:
        return 0.0
    vocabulary = set().union(*(content_words(s.text + " " + " ".join(s.notes)) for s in spans))
    return sum(_stem_match(w, vocabulary) for w in words) / len(words)


def is_supported(
    sentence: str, spans: Sequence[Span], *, language: str, question: str = ""
) -> tuple[bool, str]:
    """Decide whether spans back up sentence; returns (verdict, reason when not).

    With the question given, the words the sentence takes from the question (its topic:
    "ambassador", "sanctions") must be in the cited text of the same language too; otherwise
    true names stitched to the question's topic ("The ambassador was Erdogan") would pass.
    """
    if not spans:
        return False, "no citation"
    missing = missing_terms(sentence, spans)
    if missing:
        return False, "not in the cited text: " + ", ".join(missing)
    if question:
        # A year or day the question asks about must be in what the answer cites: "How many
        # died in 2016?" is not answered by a sentence about 2015.
        cited_numbers = _numbers(" ".join(s.text + " " + " ".join(s.notes) for s in spans))
        if lost := [n for n in re.findall(r"\d+", question) if n not in cited_numbers]:
            return False, "the cited text is not about " + ", ".join(lost)
    same_language_spans = [s for s in spans if s.language == language]
    if question and same_language_spans:
        vocabulary = set().union(*(content_words(s.text) for s in same_language_spans))
        asked = {w for w in content_words(question) if _stem_match(w, content_words(sentence))}
        if off_topic := sorted(w for w in asked if not _stem_match(w, vocabulary)):
            return False, "the cited text is not about " + ", ".join(off_topic)
    terms = key_terms(sentence)
    has_facts = bool(terms.numbers or terms.months or terms.names)
    same_language = any(s.language == language for s in spans)
    overlap = _overlap(sentence, spans)
    if not has_facts and not terms.words:
        return False, "says nothing that can be checked"
    if same_language and terms.words and overlap < (0.25 if has_facts else 0.5):
        return False, f"too little of it is in the cited text ({overlap:.0%} of its words)"
    if not same_language and not has_facts:
        # Across languages only names, numbers and dates can be checked; a sentence with none
        # of them cannot be verified, so it is not shown as if it were.
        return False, "cannot be checked against evidence in another language"
    if question and not adds_to(sentence, question, same_language=same_language):
        return False, "only restates the question"
    return True, ""


def adds_to(sentence: str, question: str, *, same_language: bool) -> bool:
    """True if sentence says something the question did not already say.

    The small model often answers "What did Putin call the downing?" with "Putin called the
    downing [1]": every word is in the evidence, yet nothing is answered. Across languages only
    a new name, number or month counts, as words cannot be compared.
    """
    terms, asked = key_terms(sentence), key_terms(question)
    new_facts = (
        (terms.numbers - asked.numbers)
        or (terms.months - asked.months)
        or {
            n for n in terms.names if not _stem_match(n, set(asked.names) | content_words(question))
        }
    )
    if new_facts:
        return True
    asked_words = content_words(question) | set(asked.names)
    return same_language and any(not _stem_match(w, asked_words) for w in terms.words)


def split_answer(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Split an LLM answer into (sentence without markers, cited numbers) pairs."""
    pieces: list[tuple[str, tuple[int, ...]]] = []
    for start, end in split_sentences(text):
        raw = text[start:end]
        cited: list[int] = []
        for match in CITE_RE.finditer(raw):
            cited += [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1))]
        # "[n]" copied literally from the instructions is noise, not a citation.
        sentence = re.sub(r"\s*\[[a-zA-Z]\]", "", CITE_RE.sub("", raw)).strip()
        if re.fullmatch(r"[\W_]*", sentence):
            # A marker that the splitter left on its own belongs to the sentence before it.
            if pieces and cited:
                prev, prev_cited = pieces[-1]
                pieces[-1] = (prev, prev_cited + tuple(cited))
            continue
        pieces.append((sentence, tuple(dict.fromkeys(cited))))
    return pieces


def check_answer(
    text: str, spans: Sequence[Span], *, language: str, question: str = ""
) -> CheckResult:
    """Check every sentence of an answer against the spans it cites.

    Markers that point at no shown span are dropped. A sentence without a valid marker is
    attributed to the one span that fully supports it, if any; otherwise it is unsupported.
    """
    by_n = {s.n: s for s in spans}
    checks = []
    for sentence, cited in split_answer(text):
        valid = tuple(n for n in cited if n in by_n)
        if valid:
            cited_spans = [by_n[n] for n in valid]
            ok, reason = is_supported(sentence, cited_spans, language=language, question=question)
            if ok:
                # Keep only the markers that individually contribute; a bare extra marker
                # the model tacked on should not point the reader at an irrelevant quote.
                useful = tuple(n for n in valid if _overlap(sentence, [by_n[n]]) > 0) or valid
                checks.append(SentenceCheck(sentence, useful, True))
                continue
        else:
            reason = "no citation"
        best = _best_single_support(sentence, spans, language=language, question=question)
        if best is not None:
            checks.append(SentenceCheck(sentence, (best,), True))
        else:
            checks.append(SentenceCheck(sentence, valid, False, reason))
    return CheckResult(tuple(checks))


def _best_single_support(
    sentence: str, spans: Sequence[Span], *, language: str, question: str
) -> int | None:
    # Only same-language spans: across languages just names, numbers and months can be
    # compared, too little to pick a source the model did not cite itself.
    candidates = [
        (_overlap(sentence, [s]), s.n)
        for s in spans
        if s.language == language
        and is_supported(sentence, [s], language=language, question=question)[0]
    ]
    return max(candidates)[1] if candidates else None


def looks_like_refusal(text: str) -> bool:
    """True if the model said it cannot answer (in English or Swedish)."""
    folded = _fold(text)
    return any(cue in folded for cue in REFUSAL_CUES)
