"""Shared text utilities of the answer path: words, names, numbers and months of a sentence.

One public module instead of private helpers imported across the stages. Everything
language-specific comes from the language data (index/languages.py), so these functions work
the same for every language that has a data file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from index.languages import all_languages, fold, get_language, month_number, number_value

__all__ = [
    "KeyTerms",
    "NUMBER_RE",
    "WORD_RE",
    "content_words",
    "fold",
    "key_terms",
    "months",
    "numbers",
    "opener",
    "stem_match",
    "stopwords",
]

# A backtick or acute accent typed for an apostrophe ("It`s") is part of a word only between
# letters: a backticked code name ("`apt-get`") is still just the name.
WORD_RE = re.compile(r"[^\W\d_](?:[\w'’:-]|[`´](?=\w))*", re.UNICODE)
NUMBER_RE = re.compile(r"\d+(?:[.,:]\d+)*")
_NUMERIC_DATE_RE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./]((?:1[5-9]|20)\d{2})\b")
MIN_CONTENT_LETTERS = 4


@cache
def stopwords() -> frozenset[str]:
    """Function words of every supported language (a document may mix languages)."""
    return frozenset().union(*(lang.stopwords for lang in all_languages()))


@cache
def not_names() -> frozenset[str]:
    """Capitalised words that are not names, in any supported language."""
    return frozenset().union(*(lang.not_names for lang in all_languages())) | stopwords()


@cache
def weekdays() -> frozenset[str]:
    """Names of the days of the week, in any supported language."""
    return frozenset().union(*(lang.weekdays for lang in all_languages()))


def numbers(text: str) -> set[str]:
    """Numbers in text as digit strings: "1,200" → "1200"; number words too ("forty" → "40")."""
    found = {re.sub(r"[.,:](?=\d{3}\b)", "", m) for m in NUMBER_RE.findall(text)}
    # A date written with dots or slashes ("01.06.2005", "1/6/2005") holds its year.
    found |= set(_NUMERIC_DATE_RE.findall(text))
    for word in WORD_RE.findall(fold(text)):
        value = number_value(word)
        if value is not None:
            found.add(str(value))
    return found


def months(text: str) -> set[int]:
    """Months named in text (full month names of any supported language)."""
    return {m for w in WORD_RE.findall(text) if (m := month_number(w)) is not None}


def content_words(text: str) -> set[str]:
    """Lower-case words of four letters or more that are not function words."""
    return {
        w
        for w in WORD_RE.findall(fold(text))
        if len(w) >= MIN_CONTENT_LETTERS and w not in not_names()
    }


@dataclass(frozen=True, slots=True)
class KeyTerms:
    """The facts in a sentence that its citation must back up."""

    numbers: frozenset[str]
    months: frozenset[int]
    names: frozenset[str]
    words: frozenset[str]


def key_terms(sentence: str, language: str | None = None) -> KeyTerms:
    """Numbers, months, names and content words of a sentence (citation markers removed).

    With the sentence's language, a capitalised common noun of a language that capitalises
    every noun ("Abkürzung" in German) is not a name."""
    lang = get_language(language) if language else None
    tokens = WORD_RE.findall(sentence)
    names: set[str] = set()
    for i, word in enumerate(tokens):
        folded = fold(word).strip("'-:")
        if folded in weekdays():
            # A day of the week is a fact to check ("on Tuesday"), in any case ("tisdag").
            names.add(folded)
            continue
        # "iPhone", "McDonald", "al-Hassan": a capital inside the word marks a name too.
        inner_capital = _inner_capital(word)
        if not (word[:1].isupper() or inner_capital):
            continue
        if folded in not_names() or month_number(folded) is not None:
            continue
        if number_value(folded) is not None:
            continue
        # A capitalised first word is usually just a sentence opener; count it only when the
        # sentence repeats it capitalised or it has the look of a name (CamelCase).
        if i == 0 and not any(w == word for w in tokens[1:]) and not inner_capital:
            continue
        if lang is not None and lang.is_common_noun(word):
            continue
        names.add(folded)
    return KeyTerms(
        numbers=frozenset(numbers(sentence)),
        months=frozenset(months(sentence)),
        names=frozenset(names),
        words=frozenset(content_words(sentence)),
    )


def spelled_alike(sentence: str) -> frozenset[str]:
    """Folded names of sentence written the same in every language: with a capital inside
    ("luksFormat", "GnuPG"), a digit ("imap2", "Su-24") or in capitals ("DKMS"). "Sverige" and
    "Sweden" differ across languages; an identifier or an acronym does not."""
    found = set()
    for word in WORD_RE.findall(sentence):
        if _alike(word):
            found.add(fold(word).strip("'-:"))
        elif "-" in word:
            # A compound of an identifier and a word of the language ("SSH-nyckeln"): the
            # identifier is spelled alike, the rest is not.
            found.update(fold(part) for part in word.split("-") if _alike(part))
    return frozenset(found)


def _inner_capital(word: str) -> bool:
    return any(c.isupper() for c in word[1:]) and not word.isupper()


def _alike(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    inner_capital = _inner_capital(word)
    capitals = len(letters) >= 2 and all(c.isupper() for c in letters)
    digit = any(c.isdigit() for c in word) and bool(letters)
    hyphen_word = "-" in word and not digit  # "SSH-nyckeln": judged by its parts
    return not hyphen_word and (inner_capital or capitals or digit)


def opener(sentence: str, language: str | None = None) -> str | None:
    """The sentence's first word, folded, when it could be a name ("Paris is …"): capitalised
    and not a function word, month or number of any supported language; else None.

    key_terms leaves it out (usually it is just a capitalised sentence opener), so a check
    that must not miss an invented name looks it up in the evidence as well.
    """
    tokens = WORD_RE.findall(sentence)
    if not tokens or not tokens[0][:1].isupper():
        return None
    folded = fold(tokens[0]).strip("'-:")
    if folded in not_names() or month_number(folded) is not None:
        return None
    if language and get_language(language).is_common_noun(tokens[0]):
        return None
    return None if number_value(folded) is not None else folded


def stem_match(term: str, vocabulary: set[str] | frozenset[str]) -> bool:
    """True if term occurs in vocabulary allowing inflection and compounds.

    A crude stemmer on purpose: the shared prefix of inflected forms ("sanction"/"sanctions",
    "Landes"/"Land") works across the languages we have, and compounds ("Stadtbibliothek")
    hold their parts inside.
    """
    if term in vocabulary:
        return True
    stem = term[: max(4, len(term) - 2)]
    inner = len(stem) >= 6
    return any(
        w.startswith(stem) or (len(w) >= 4 and term.startswith(w)) or (inner and stem in w)
        for w in vocabulary
    )
