"""Matching a question against evidence written in the other language, without a translator.

The bundled embedder is English-only and the 0.5B model translates Swedish badly ("När hävdes
sanktionerna?" came back as "When did the sinking of the Titanic happen?"), so an English
question whose answer sits only in a Swedish document found nothing. What does carry across
English and Swedish is checkable: names (with the aliases in assistant.citations), numbers,
months, and the many shared loanwords ("sanctions" ~ "sanktionerna", "ambassador" ~
"Turkietambassadören", "compensation" ~ "kompensation"). These pure functions score and gate
evidence on those anchors only. No library offers cognate matching for en/sv, hence by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.citations import (
    _NAME_ALIASES,
    _WORD_RE,
    _fold,
    _months,
    _name_supported,
    _numbers,
    content_words,
    key_terms,
)
from assistant.retrieval import STOPWORDS
from index.dates import month_number

# Words that frame a question rather than say what it is about; matching them proves nothing.
FRAME_WORDS = frozenset(
    """many much name named happen happened happens kind sort does done take took make made
    hände hände händer heter hette slags sorts gjorde göra görs""".split()
)
MIN_NAMES_ALONE = 3  # this many of the question's names in one sentence make it specific enough
RARE_SHARE = 0.1  # a name in at most this share of the retrieved sentences is distinctive
RARE_MIN_SENTENCES = 10

# Spelling correspondences between English and Swedish loanwords, applied to both sides.
_SPELLING = (("ph", "f"), ("th", "t"), ("qu", "kv"), ("ck", "k"), ("c", "k"), ("w", "v"),
             ("z", "s"), ("x", "ks"))  # fmt: skip


_SWEDISH_VOWELS = str.maketrans("åäö", "aao")  # "ambassadören" ~ "ambassador"


def cognate_key(word: str) -> str:
    """A spelling-neutral form of a word: "coordinates" and "koordinater" share "koordinate"."""
    key = _fold(word).strip("'-:")
    key = re.sub(r"'s$", "", key).translate(_SWEDISH_VOWELS)
    for old, new in _SPELLING:
        key = key.replace(old, new)
    return key


def cognates(a: str, b: str) -> bool:
    """True if two words look like the same word in English and Swedish.

    They share a prefix of five letters, or of four when that is all of the shorter word but
    one letter ("police" ~ "polis", "type" ~ "typen"); or the shorter (six letters or more) is
    part of the longer, as in Swedish compounds ("minister" in "försvarsminister").
    """
    a, b = cognate_key(a), cognate_key(b)
    if len(a) < 4 or len(b) < 4:
        return a == b
    shorter, longer = sorted((a, b), key=len)
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    if prefix >= 5 or (prefix >= 4 and prefix >= len(shorter) - 1):
        return True
    return len(shorter) >= 6 and shorter in longer


def vocabulary(text: str) -> set[str]:
    """Lower-case words of text, hyphenated words also split ("F-16-plan" gives "plan")."""
    words = {_fold(w).strip("'-:") for w in _WORD_RE.findall(text)}
    return words | {p for w in words for p in w.split("-") if p and not p.isdigit()}


def _is_alias(word: str) -> bool:
    folded = _fold(word)
    return any(folded.startswith(key) for key in _NAME_ALIASES)


@dataclass(frozen=True, slots=True)
class QuestionAnchors:
    """What of a question can be recognised in text of another language."""

    names: frozenset[str]  # capitalised names and nationality words ("ryska" ~ "Russian")
    numbers: frozenset[str]
    months: frozenset[int]
    topic: frozenset[str]  # other content words, matched as cognates

    @property
    def weighted(self) -> list[tuple[str, float]]:
        """Names and numbers count double, as in same-language evidence scoring."""
        items = [(f"name:{n}", 2.0) for n in self.names]
        items += [(f"number:{n}", 2.0) for n in self.numbers]
        items += [(f"month:{m}", 1.0) for m in self.months]
        items += [(f"word:{w}", 1.0) for w in self.topic]
        return sorted(items)


def anchors(question: str) -> QuestionAnchors:
    """The names, numbers, months and topic words of a question."""
    terms = key_terms(question)
    names = set(terms.names) | {
        w for w in re.findall(r"\w+", _fold(question)) if _is_alias(w) and len(w) >= 4
    }
    digits = {n for n in terms.numbers if re.search(rf"\b{n}\b", question)}
    topic = {
        w
        for w in content_words(question)
        if w not in STOPWORDS
        and w not in FRAME_WORDS
        and w not in names
        and month_number(w) is None
        and not _is_alias(w)
    }
    return QuestionAnchors(
        frozenset(names), frozenset(digits), frozenset(terms.months), frozenset(topic)
    )


@dataclass(frozen=True, slots=True)
class Match:
    """Which anchors of a question one sentence holds."""

    names: frozenset[str]  # found in the sentence or the passage around it
    numbers: frozenset[str]
    months: frozenset[int]
    topic: frozenset[str]
    anchors: QuestionAnchors
    own_names: frozenset[str] = frozenset()  # found in the sentence itself

    @property
    def score(self) -> float:
        """Weighted share of the question's anchors found, in [0, 1]."""
        weighted = self.anchors.weighted
        total = sum(w for _, w in weighted)
        if not total:
            return 0.0
        found = {f"name:{n}" for n in self.names} | {f"number:{n}" for n in self.numbers}
        found |= {f"month:{m}" for m in self.months} | {f"word:{w}" for w in self.topic}
        return sum(w for key, w in weighted if key in found) / total

    @property
    def complete(self) -> bool:
        """Every name, number and month of the question is there."""
        a = self.anchors
        return self.names == a.names and self.numbers == a.numbers and self.months == a.months

    @property
    def specific(self) -> bool:
        """The sentence is about the question, not just about the same countries.

        "How much compensation did Turkey pay Russia?" must not be answered by any sentence
        naming Turkey and Russia: a topic word, several names together, or the month and year
        the question asks about ("in February 2017") must match too.
        """
        a = self.anchors
        dated = bool(a.months and a.numbers)
        enough = bool(self.topic) or len(self.names) >= MIN_NAMES_ALONE or dated
        return self.complete and enough

    def specific_given(self, rare: frozenset[str], *, gives_fact: bool = False) -> bool:
        """specific, or complete with one of the rare names (see rare_names) in it when the
        sentence gives the kind of fact the question asks for (a date, a number).

        "Hur många skadades vid al-Bab?" fits the one sentence that names al-Bab and gives a
        number; "What did Erdogan eat?" fits no sentence just because few name Erdogan.
        """
        rare_fact = gives_fact and bool(self.own_names & rare)
        return self.specific or (self.complete and rare_fact)


def rare_names(matches: list[Match]) -> frozenset[str]:
    """The question's names held by at most a tenth of the retrieved sentences (and at least
    ten sentences to judge by): distinctive, like a rare word in IDF weighting. In the seeds
    "al-Bab", "Peskov" and "Karlov" are; "Putin", "Erdogan" and "Turkey" are not."""
    if len(matches) < RARE_MIN_SENTENCES:
        return frozenset()
    limit = len(matches) * RARE_SHARE
    names = matches[0].anchors.names
    return frozenset(n for n in names if sum(n in m.own_names for m in matches) <= limit)


def match(question: str | QuestionAnchors, text: str, context: str = "") -> Match:
    """The anchors of question that text holds (text may carry resolved dates after it).

    Names may also be found in the context (the passage around the sentence): "The sanctions
    were lifted in July 2016" is about Turkey because the paragraph says so. Numbers, months
    and topic words must be in the sentence itself.
    """
    a = anchors(question) if isinstance(question, str) else question
    words = vocabulary(text)
    numbers, months = _numbers(text), _months(text)
    around = words | vocabulary(context)
    return Match(
        names=frozenset(n for n in a.names if _name_supported(n, around)),
        numbers=frozenset(n for n in a.numbers if n in numbers),
        months=frozenset(m for m in a.months if m in months),
        topic=frozenset(t for t in a.topic if any(cognates(t, w) for w in words)),
        anchors=a,
        own_names=frozenset(n for n in a.names if _name_supported(n, words)),
    )
