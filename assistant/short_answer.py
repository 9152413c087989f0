"""Answer types and short answers: what kind of fact a question asks for, and that fact alone.

"When were the sanctions lifted?" asks for a date; the checked answer "The sanctions were lifted
in July 2016 [1]." holds it, so the short answer is "July 2016". Scripts and evaluations compare
short answers (SQuAD exact match); readers get the sentence with its citation. A short answer is
only given when the checked sentence holds exactly one candidate of the asked-for kind that the
question does not already contain, so it is as well supported as the sentence it comes from.
Pure functions, no model involved.
"""

from __future__ import annotations

import re

from assistant.citations import (
    _NAME_ALIASES,
    _NOT_NAMES,
    _NUMBER_WORDS,
    _fold,
    _stem_match,
    content_words,
    key_terms,
)
from index.dates import MONTHS_EN, MONTHS_SV, month_number

_WHEN = re.compile(
    r"^\s*(when|(?:(?:in|on|at|i|på|under)\s+)?(?:what|which|vilket|vilken)\s+"
    r"(year|date|day|month|år|datum|dag|månad)|när)\b",
    re.IGNORECASE,
)
_HOW_MANY = re.compile(r"^\s*(how (many|much)|hur (många|mycket))\b", re.IGNORECASE)
_WHO = re.compile(r"^\s*(who|whom|whose|vem|vems|vilka)\b", re.IGNORECASE)
_NAMED = re.compile(r"^\s*(what (is|was) the name|vad (heter|hette))\b", re.IGNORECASE)
# "Which minister ...?", "What type of plane ...?": the answer is usually a name.
_WHICH = re.compile(
    r"^\s*(which|what (type|kind|sort) of|vilken|vilket|vilka|vad för)\b", re.IGNORECASE
)

_MONTH = "|".join(sorted({*MONTHS_EN, *MONTHS_SV}, key=len, reverse=True))
_DATE_RE = re.compile(
    rf"\b(?:\d{{1,2}}(?::e|:a|st|nd|rd|th|\.)?\s+(?:{_MONTH})(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTH})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|(?:{_MONTH})(?:\s+\d{{4}})?"
    rf"|\d{{4}}-\d{{2}}(?:-\d{{2}})?"
    rf"|(?:1[5-9]|20)\d{{2}})\b",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"\b(?:\d+(?:[.,]\d+)*|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
# A run of capitalised words, allowing inner hyphens and digits ("Su-24", "S:t Petersburg").
_NAME_RUN_RE = re.compile(r"[A-ZÅÄÖ][\w:’'-]*(?:\s+(?:[A-ZÅÄÖ][\w:’'-]*|al-\w+))*")


def asks_when(question: str) -> bool:
    """True for questions whose answer must be a date ("When ...?", "När ...?")."""
    return bool(_WHEN.search(question))


def answer_type(question: str) -> str | None:
    """ "date", "number", "who" (a name or a role) or "name" (a proper name) when the question
    asks for one, else None."""
    if asks_when(question):
        return "date"
    if _HOW_MANY.search(question):
        return "number"
    if _NAMED.search(question):
        return "name"
    if _WHO.search(question):
        return "who"
    return None


def has_answer_type(text: str, wanted: str | None, question: str = "") -> bool:
    """True if text holds the kind of fact wanted: a year/day or month, a number, or a name
    that the question itself does not already contain."""
    if wanted == "date":
        return bool(re.search(r"\d", text) or key_terms(text).months)
    if wanted == "number":
        # The year a question asks about ("How many ... in 2016?") is not the number asked for.
        counts = key_terms(text).numbers - key_terms(question).numbers
        return bool(counts) or bool(re.search(r"\b(flera|several)\b", text, re.I))
    if wanted in {"who", "name"}:
        asked = key_terms(question).names
        new = [n for n in key_terms(f"and {text}").names if n not in asked]
        if wanted == "name":
            # "What was the name of the pilot?" is not answered by "Syria" or "F-16".
            new = [n for n in new if not re.search(r"\d", n) and not _is_place(n)]
        return bool(new)
    return True


_PLACES = frozenset(_NAME_ALIASES) | {a for aliases in _NAME_ALIASES.values() for a in aliases}


def _is_place(name: str) -> bool:
    """Countries, capitals and nationality words the seed languages name ("Ryssland")."""
    return any(name.startswith(p) for p in _PLACES)


def _dates(text: str, question: str) -> list[str]:
    asked = key_terms(question)
    found = []
    for m in _DATE_RE.finditer(text):
        phrase = m.group().strip(" ,")
        terms = key_terms(f"and {phrase}")
        if terms.numbers <= asked.numbers and terms.months <= asked.months:
            continue  # "in November 2015" of the question is not its answer
        found.append(phrase)
    return found


def _numbers(text: str, question: str) -> list[str]:
    asked = key_terms(question).numbers
    found = []
    for m in _NUMBER_RE.finditer(text):
        word = m.group()
        value = str(_NUMBER_WORDS.get(word.lower(), word))
        after = text[m.end() : m.end() + 12]
        if (
            value in asked
            or re.match(r"\s*(?:[-–]|\d)", after)
            or "-" in text[m.start() - 1 : m.start()]
        ):
            continue  # a year of the question, part of a date or of a name like "Su-24"
        if re.fullmatch(r"(?:1[5-9]|20)\d{2}", word):
            continue  # a year is a date, not a count
        found.append(word)
    return found


def _names(text: str, question: str) -> list[str]:
    asked = set(key_terms(question).names) | content_words(question)
    found = []
    for m in _NAME_RUN_RE.finditer(text):
        words = m.group().split()
        # Sentence openers and other capitalised non-names do not start or end a name.
        while words and (_fold(words[0]) in _NOT_NAMES or month_number(words[0]) is not None):
            words = words[1:]
        while words and _fold(words[-1]) in _NOT_NAMES:
            words = words[:-1]
        opener = words[0] if m.start() == 0 and words else None

        def asked_word(word: str) -> bool:
            return _stem_match(_fold(word).strip("'’:-"), asked)

        # "Russian Defense Minister Sergei Shoigu" answers "Which Russian defense minister?"
        # with "Sergei Shoigu": the words the question already has are trimmed off the ends.
        while words and asked_word(words[0]):
            words = words[1:]
        while words and asked_word(words[-1]):
            words = words[:-1]
        if words == [opener] and not re.search(r"[\d-]|.[A-ZÅÄÖ]", opener or ""):
            continue  # a lone capitalised first word is usually just the sentence opener
        if words and not any(asked_word(w) for w in words):
            found.append(" ".join(words))
    return found


def short_answer(sentence: str, question: str) -> str | None:
    """The one date, number or new name in sentence that answers question, else None.

    sentence is a checked answer sentence (or a quoted evidence sentence) without markers.
    """
    wanted = answer_type(question)
    if wanted == "date":
        candidates = _dates(sentence, question)
    elif wanted == "number":
        candidates = _numbers(sentence, question)
    elif wanted in {"who", "name"} or _WHICH.search(question):
        candidates = _names(sentence, question)
    else:
        return None
    distinct = list(dict.fromkeys(candidates))
    return distinct[0] if len(distinct) == 1 else None
