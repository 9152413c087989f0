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
    "acronyms",
    "content_words",
    "expansion",
    "fold",
    "key_terms",
    "months",
    "negated",
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


def acronyms(sentence: str) -> tuple[str, ...]:
    """The acronyms of sentence as written: two or more capitals ("DKMS", "UTF-8"'s "UTF",
    "GnuPG"), in order, each once."""
    found: dict[str, None] = {}
    for word in WORD_RE.findall(sentence):
        for part in word.split("-"):
            part = part.strip("'’:")
            if sum(c.isupper() for c in part) >= 2 and part[:1].isupper() and part.isalnum():
                found[part] = None
    return tuple(found)


# An expansion has at most this many words per letter of its acronym and at most this many
# more ("Musical Instrument Digital Interface"; "Information Technology Infrastructure Library"
# with a function word or two). From Schwartz & Hearst (2003): min(|A| + 5, 2|A|) words.
_EXPANSION_EXTRA_WORDS = 5
# At most this many words stand between an acronym and its expansion: none in "Dynamic Kernel
# Module Support (DKMS)", "stands for" / "steht für" / "står för", "8-bit" in "UTF-8 (8-bit
# Unicode Transformation Format)". Farther away, matching initials are a coincidence.
_EXPANSION_MAX_GAP = 3
_EXPANSION_WORD_RE = re.compile(r"[^\W_]+")
_ACRONYM_LETTERS = (2, 10)  # Schwartz & Hearst's bounds on an abbreviation's length


def expansion(acronym: str, text: str) -> str | None:
    """The words of text that acronym abbreviates, as written, or None: "Dynamic Kernel Module
    Support" for "DKMS" in "Dynamic Kernel Module Support (DKMS) ist ein …".

    The letters of the acronym must occur in order in a run of words, the first letter
    starting the run's first word and every word other than a function word starting with one
    of the letters (the Schwartz & Hearst rule, letters inside a word allowed: "GnuPG" for
    "GNU Privacy Guard"), and the acronym must stand next to the run, as in a definition
    ("… (DKMS)", "DKMS steht für …"). Of several runs, the one nearest to the acronym.

    Written here, not taken from the `abbreviations` package (the same algorithm): that
    package configures the root logger when imported and only reads "long form (SHORT)".
    """
    letters = [c.lower() for c in acronym if c.isalnum()]
    if not _ACRONYM_LETTERS[0] <= len(letters) <= _ACRONYM_LETTERS[1]:
        return None
    # Written with its first letter capital, in any case after it ("Midi" for "MIDI"); not
    # a lower-case word ("it" is no "IT").
    spelled = rf"(?<!\w){re.escape(acronym[0])}(?i:{re.escape(acronym[1:])})(?!\w)"
    at = [m.start() for m in re.finditer(spelled, text)]
    if not at:
        return None
    words = list(_EXPANSION_WORD_RE.finditer(text))
    limit = min(len(letters) + _EXPANSION_EXTRA_WORDS, 2 * len(letters))
    function_words = stopwords()
    best: tuple[int, str] | None = None
    for i, first in enumerate(words):
        if first.group().lower()[0] != letters[0] or fold(first.group()) == fold(acronym):
            continue
        end = _spell(letters, [w.group() for w in words[i : i + limit]], function_words)
        if end is None:
            continue
        start, stop = first.start(), words[i + end].end()
        between = (text[stop:a] if a >= stop else text[a + len(acronym) : start] for a in at)
        gap = min(len(_EXPANSION_WORD_RE.findall(b)) for b in between)
        if gap <= _EXPANSION_MAX_GAP and (best is None or gap < best[0]):
            best = (gap, text[start:stop])
    return best[1] if best else None


def _spell(letters: list[str], run: list[str], function_words: frozenset[str]) -> int | None:
    """The index of the last word of run when its words spell letters (see expansion)."""

    @cache  # each (letter, word) pair is tried once: linear in letters × words × letters
    def match(li: int, wi: int) -> int | None:
        # letters[li:] are still to spell, from the start of run[wi].
        if wi >= len(run) or run[wi].isupper() and len(run[wi]) > 1 and wi > 0:
            return None  # past the run, or another acronym
        word = run[wi].lower()
        if word[0] != letters[li]:
            if wi > 0 and word in function_words:
                return match(li, wi + 1)  # "Library of Congress"
            return None
        # The word starts with the letter; it may hold the next few letters inside it too.
        li += 1
        for inner in range(0, len(letters) - li + 1):
            if inner and not _inner(letters[li : li + inner], word[1:]):
                break
            rest = li + inner
            if rest == len(letters):
                return wi
            found = match(rest, wi + 1)
            if found is not None:
                return found
        return None

    return match(0, 0)


def _inner(letters: list[str], word: str) -> bool:
    """True if letters occur in word in order."""
    pos = 0
    for c in letters:
        pos = word.find(c, pos) + 1
        if not pos:
            return False
    return True


def negated(text: str, language: str) -> bool:
    """True when text holds a negation word of its language ("not", "inte", "keine", "never").

    A yes/no question is answered by whether a statement negates what the question asks:
    "ssh does not stop on the escape character" answers "Will the escape key interrupt ssh?"
    with no, and the same statement answers "Does ssh ignore the escape key?" with yes.

    A condition is not a negation: "chmod preserves the bits unless you say otherwise" and its
    Swedish "… om inte man anger något annat" state that the bits stay; the clause from an
    "unless" phrase of the language to the next comma or end of sentence is left out."""
    lang = get_language(language)
    folded = fold(text)
    for condition in lang.unless:
        folded = condition.sub(" ", folded)
    return bool(set(WORD_RE.findall(folded)) & lang.negative)


def opener(sentence: str, language: str | None = None) -> str | None:
    """The sentence's first word, folded, when it could be a name ("Paris is …"): capitalised
    and not a function word, month or number of any supported language; else None.

    key_terms leaves it out (usually it is just a capitalised sentence opener), so a check
    that must not miss an invented name looks it up in the evidence as well.
    """
    tokens = WORD_RE.findall(sentence)
    if not tokens or not tokens[0][:1].isupper():
        return None
    if language and sentence.rstrip().endswith("?"):
        # A question that asks yes/no by putting its verb first opens with that verb
        # ("Behöver vanliga program …?"), not with a name.
        if get_language(language).question_kind(sentence) == "yesno":
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
