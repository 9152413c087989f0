"""Document dates: parse date headers and resolve relative dates, in every language with a file.

Pure functions. Dates are ISO strings: "2017", "2017-03" or "2017-03-02". The words come from the
language files (`[dates]` in index/lang/<code>.toml; month names from babel's CLDR data), all
languages at once: a document's date line or relative phrase may be in another language than
most of its text. Written by hand for what dateparser lacks: "two days later" counts from the
last day and month mentioned before it, and every step is one pass over the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from index.languages import DEFAULT_LANGUAGE, all_languages, fold

__all__ = [
    "DateAnchors",
    "month_number",
    "normalize_date",
    "parse_date_header",
    "resolve_relative_dates",
    "split_front_matter",
]


@dataclass(frozen=True, slots=True)
class _Words:
    """The date words of every language file, and the patterns built from them."""

    months: dict[str, int]  # names and abbreviations, folded, without a final "."
    wide: dict[str, dict[int, str]]  # language code -> month number -> full name
    relative_years: dict[str, int]
    numbers: dict[str, int]
    earlier: frozenset[str]
    week_units: frozenset[str]
    header: re.Pattern[str]
    day_month_year: re.Pattern[str]
    month_day_year: re.Pattern[str]
    month_year: re.Pattern[str]
    day_month_rel: re.Pattern[str]
    month_rel: re.Pattern[str]
    last_month: re.Pattern[str]
    year_rel: re.Pattern[str]
    offset: re.Pattern[str]
    anchor: re.Pattern[str]


def _alternatives(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, a space matching any run of whitespace."""
    ordered = sorted({p for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered)


@cache
def _words() -> _Words:
    languages = all_languages()
    dates = [lang.dates for lang in languages]
    months: dict[str, int] = {}
    for lang in sorted(languages, key=lambda x: x.code != DEFAULT_LANGUAGE):
        for name, number in lang.months.items():
            months.setdefault(name, number)
    wide = {
        lang.code: {lang.months[name]: name for name in sorted(lang.wide_months)}
        for lang in languages
    }
    # Full names only when scanning prose: "mar" or "may" inside a sentence are not dates.
    month = _alternatives(name for lang in languages for name in lang.wide_months)
    relative = {p: n for d in dates for p, n in d.relative_years.items()}
    numbers = {w: n for lang in languages for w, n in {**lang.units, **lang.teens}.items() if n}
    suffix = _alternatives(x for d in dates for x in d.day_suffixes)
    prep = _alternatives(x for d in dates for x in d.prepositions)
    connector = _alternatives(x for d in dates for x in d.year_connectors)
    years = _alternatives(relative)
    units = _alternatives(x for d in dates for x in d.day_units | d.week_units)
    directions = _alternatives(x for d in dates for x in d.later | d.earlier)
    next_day = _alternatives(x for d in dates for x in d.next_day)
    labels = _alternatives(x for d in dates for x in d.header_labels)
    last = _alternatives(x for d in dates for x in d.last_month)
    day_month = rf"(?P<day>\d{{1,2}})(?:{suffix})?\s+(?P<month>{month})"
    month_day = rf"(?P<month2>{month})\s+(?P<day2>\d{{1,2}})(?:{suffix})?,?"
    rel_year = rf"(?:,?\s+(?:(?:{connector})\s+)?(?P<rel>{years}))"
    before = rf"(?:(?:{prep})\s+)?"
    named = rf"(?:{month}|[^\W\d_]{{3,4}}\.?)"  # a full name or an abbreviation ("Sept.")
    return _Words(
        months=months,
        wide=wide,
        relative_years=relative,
        numbers=numbers,
        earlier=frozenset(x for d in dates for x in d.earlier),
        week_units=frozenset(x for d in dates for x in d.week_units),
        # " date 2017-03 Text…", "Date: 2017-03-02", "datum: 2 mars 2017": a date label, then a
        # date that runs to the end of the line or is ISO (only an ISO date can be told apart
        # from text after it).
        header=re.compile(
            rf"\A\s*(?:{labels})\b[ \t]*[:=]?[ \t]*"
            r"(?:(?P<iso>\d{4}-\d{2}(?:-\d{2})?)"
            r"(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
            r"(?![\d-])[ \t]*(?:\r?\n[ \t]*(?:\r?\n)?)?"
            r"|(?P<line>[^\n]{4,40}?)[ \t]*(?:\r?\n[ \t]*(?:\r?\n)?|\Z))",
            re.I,
        ),
        day_month_year=re.compile(rf"(\d{{1,2}})(?:{suffix})?\s+({named}),?\s+(\d{{4}})", re.I),
        month_day_year=re.compile(rf"({named})\s+(\d{{1,2}})(?:{suffix})?,?\s+(\d{{4}})", re.I),
        month_year=re.compile(rf"({named})\s+(\d{{4}})", re.I),
        day_month_rel=re.compile(rf"\b{before}(?:{day_month}|{month_day}){rel_year}", re.I),
        month_rel=re.compile(rf"\b{before}(?P<month>{month}){rel_year}", re.I),
        last_month=re.compile(rf"\b(?:{last})\s+(?P<month>{month})\b", re.I),
        year_rel=re.compile(rf"\b(?P<rel>{years})\b", re.I),
        offset=re.compile(
            rf"\b(?:(?P<n>\d{{1,3}}|{_alternatives(numbers)})\s+(?P<unit>{units})\s+"
            rf"(?P<dir>{directions})|(?P<next>{next_day}))\b",
            re.I,
        ),
        # An explicit day + month, optionally with a year or a relative year, used as the
        # anchor of "two days later".
        anchor=re.compile(
            rf"\b(?:{day_month}|{month_day})(?:,?\s+(?P<year>\d{{4}})\b|{rel_year})?", re.I
        ),
    )


def month_number(word: str) -> int | None:
    """1-12 for a month name or abbreviation of any language with a file ("juli", "Sept.",
    "März"), for dates in headers and metadata; index.languages.month_number reads prose."""
    return _words().months.get(fold(word.strip()).rstrip("."))


# --- absolute dates ----------------------------------------------------------------------------

_ISO_RE = re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?!\d)")
_PDF_RE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?")


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if month is None:
        return f"{year:04d}"
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" if day is None else f"{year:04d}-{month:02d}-{day:02d}"


def normalize_date(value: object) -> str | None:
    """Turn a metadata date (ISO, PDF "D:2017…", "2 March 2017", datetime, …) into ISO."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if m := _PDF_RE.match(text):
        year, month, day = m.groups()
        return _iso(int(year), int(month) if month else None, int(day) if day else None)
    if m := _ISO_RE.match(text):
        year, month, day = m.groups()
        return _iso(int(year), int(month), int(day) if day else None)
    words = _words()
    if m := words.day_month_year.search(text):
        month = month_number(m.group(2))
        return _iso(int(m.group(3)), month, int(m.group(1))) if month else None
    if m := words.month_day_year.search(text):
        month = month_number(m.group(1))
        return _iso(int(m.group(3)), month, int(m.group(2))) if month else None
    if m := words.month_year.search(text):
        month = month_number(m.group(1))
        return _iso(int(m.group(2)), month) if month else None
    if re.fullmatch(r"\d{4}", text):
        return text
    return None


# --- headers -----------------------------------------------------------------------------------

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_FIELD_RE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a leading "---" YAML-style front matter block into simple fields and the rest."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    fields = {
        key.lower(): value.strip().strip("\"'") for key, value in _FIELD_RE.findall(match.group(1))
    }
    return fields, text[match.end() :]


def parse_date_header(text: str) -> tuple[str | None, str]:
    """Return (ISO date, text without the header) for a leading date line or front matter date."""
    fields, body = split_front_matter(text)
    if fields:
        return normalize_date(fields.get("date")), body
    match = _words().header.match(text)
    if not match:
        return None, text
    line = match.group("line")
    if line is not None and len(line.split()) > 5:  # a sentence that mentions a date, not a header
        return None, text
    found = normalize_date(match.group("iso") or line)
    if found is None:
        return None, text
    return found, text[match.end() :]


# --- relative dates ----------------------------------------------------------------------------


def _relative_year(phrase: str) -> int:
    """The year offset of a relative-year phrase as written ("förra  året" -> -1)."""
    return _words().relative_years[" ".join(fold(phrase).split())]


def _doc_year_month(doc_date: str | None) -> tuple[int | None, int | None]:
    if not doc_date:
        return None, None
    m = re.match(r"(\d{4})(?:-(\d{2}))?", doc_date)
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


def _month_name(number: int, like: str) -> str:
    """Month name in the language (and capitalisation) of the month word `like` (English when
    several languages write it so: "april")."""
    wide, folded = _words().wide, fold(like)
    codes = sorted(wide, key=lambda code: code != DEFAULT_LANGUAGE)
    code = next((c for c in codes if folded in wide[c].values()), DEFAULT_LANGUAGE)
    name = wide[code][number]
    return name.capitalize() if like[:1].isupper() else name


def _anchor_day(text: str, doc_year: int | None, doc_month: int | None) -> tuple[date, str] | None:
    """The last explicit day + month in `text` as a date, with the month word as written."""
    found = None
    for m in _words().anchor.finditer(text):
        found = m
    if found is None:
        return None
    word = found.group("month") or found.group("month2")
    day = int(found.group("day") or found.group("day2"))
    month = month_number(word)
    if month is None:
        return None
    if found.group("year"):
        year = int(found.group("year"))
    elif found.group("rel") and doc_year is not None:
        year = doc_year + _relative_year(found.group("rel"))
    elif doc_year is not None:
        # A bare "27 June" in a March article most likely lies in the past year.
        year = doc_year if doc_month is None or month <= doc_month else doc_year - 1
    else:
        return None
    try:
        return date(year, month, day), word
    except ValueError:
        return None


class DateAnchors:
    """The explicit day + month mentions of one text, found in one pass.

    `before(pos)` stands in for `text[:pos]` as the context of resolve_relative_dates: the
    anchor "two days later" counts from is the last such mention before the sentence, so passing
    the whole prefix for every sentence made date notes quadratic in the document's length.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] = []
        self._ends: list[int] = []
        for m in _words().anchor.finditer(text):
            self._starts.append(m.start())
            self._ends.append(m.end())

    def before(self, pos: int) -> str:
        """A short text whose last anchor is the last anchor of text[:pos] ("" if none)."""
        i = bisect_left(self._starts, pos) - 1  # the last mention starting before pos
        if i < 0:
            return ""
        start, end = self._starts[i], self._ends[i]
        if end <= pos:
            return self._text[start:end]
        # The mention runs past pos ("27 June\n\n2016 ..." cut at the paragraph): the cut text
        # may still hold a shorter one ("27 June"); else the mention before it counts.
        if _words().anchor.search(self._text, start, pos):
            return self._text[start:pos]
        return self._text[self._starts[i - 1] : self._ends[i - 1]] if i > 0 else ""


def resolve_relative_dates(
    sentence: str, doc_date: str | None, context: str = ""
) -> list[tuple[str, str]]:
    """Return (phrase, resolved) for relative dates in `sentence`, e.g. ("förra året", "2016").

    `doc_date` anchors year-relative phrases; `context` (the text before the sentence, or
    DateAnchors.before of the sentence's offset) supplies the explicit date that "two days
    later" counts from.
    """
    year, doc_month = _doc_year_month(doc_date)
    found: list[tuple[int, int, str]] = []

    def add(m: re.Match[str], resolved: str | None) -> None:
        if resolved and all(m.end() <= s or m.start() >= e for s, e, _ in found):
            found.append((m.start(), m.end(), resolved))

    words = _words()
    if year is not None:
        for m in words.day_month_rel.finditer(sentence):
            word = m.group("month") or m.group("month2")
            day = m.group("day") or m.group("day2")
            add(m, f"{int(day)} {word} {year + _relative_year(m.group('rel'))}")
        for m in words.month_rel.finditer(sentence):
            add(m, f"{m.group('month')} {year + _relative_year(m.group('rel'))}")
        for m in words.last_month.finditer(sentence):
            month = month_number(m.group("month"))
            # "last December" in a March article is unambiguous; "last February" is not.
            if month and doc_month and month >= doc_month:
                add(m, f"{m.group('month')} {year - 1}")
        for m in words.year_rel.finditer(sentence):
            add(m, str(year + _relative_year(m.group("rel"))))

    for m in words.offset.finditer(sentence):
        anchor = _anchor_day(f"{context}\n{sentence[: m.start()]}", year, doc_month)
        if anchor is None:
            continue
        day, word = anchor
        if m.group("next"):
            days = 1
        else:
            n = fold(m.group("n"))
            count = int(n) if n.isdigit() else words.numbers[n]
            days = count * (7 if fold(m.group("unit")) in words.week_units else 1)
            if fold(m.group("dir")) in words.earlier:
                days = -days
        when = day + timedelta(days=days)
        add(m, f"{when.day} {_month_name(when.month, word)} {when.year}")

    return [(sentence[s:e], resolved) for s, e, resolved in sorted(found)]
