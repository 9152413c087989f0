"""Document dates: parse date headers and resolve relative dates (English and Swedish).

Pure functions, no I/O. Dates are ISO strings: "2017", "2017-03" or "2017-03-02".
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import date, datetime, timedelta

__all__ = [
    "DateAnchors",
    "month_number",
    "normalize_date",
    "parse_date_header",
    "resolve_relative_dates",
    "split_front_matter",
]

MONTHS_EN = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
MONTHS_SV = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip
_ABBREVIATIONS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTHS: dict[str, int] = {
    **_ABBREVIATIONS,
    **{name: i for i, name in enumerate(MONTHS_EN, 1)},
    **{name: i for i, name in enumerate(MONTHS_SV, 1)},
}
# Full names only when scanning prose: "mar" or "may" inside a sentence are not dates.
_MONTH_RE = "|".join(sorted(set(MONTHS_EN) | set(MONTHS_SV), key=len, reverse=True))

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4,
    "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10,
}  # fmt: skip
_NUMBER_RE = r"\d{1,3}|" + "|".join(_NUMBER_WORDS)


def month_number(word: str) -> int | None:
    """Return 1-12 for an English or Swedish month name or abbreviation ("juli", "July", "Sept")."""
    return _MONTHS.get(word.strip().rstrip(".").lower())


# --- absolute dates ----------------------------------------------------------------------------

_ISO_RE = re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?!\d)")
_PDF_RE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?")
_DAY_MONTH_YEAR_RE = re.compile(
    rf"(\d{{1,2}})(?::e|:a|st|nd|rd|th|\.)?\s+({_MONTH_RE}|[a-z]{{3,4}}\.?),?\s+(\d{{4}})", re.I
)
_MONTH_DAY_YEAR_RE = re.compile(
    rf"({_MONTH_RE}|[a-z]{{3,4}}\.?)\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.I
)
_MONTH_YEAR_RE = re.compile(rf"({_MONTH_RE}|[a-z]{{3,4}}\.?)\s+(\d{{4}})", re.I)


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
    if m := _DAY_MONTH_YEAR_RE.search(text):
        month = month_number(m.group(2))
        return _iso(int(m.group(3)), month, int(m.group(1))) if month else None
    if m := _MONTH_DAY_YEAR_RE.search(text):
        month = month_number(m.group(1))
        return _iso(int(m.group(3)), month, int(m.group(2))) if month else None
    if m := _MONTH_YEAR_RE.search(text):
        month = month_number(m.group(1))
        return _iso(int(m.group(2)), month) if month else None
    if re.fullmatch(r"\d{4}", text):
        return text
    return None


# --- headers -----------------------------------------------------------------------------------

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_FIELD_RE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)
# " date 2017-03 Text…", "Date: 2017-03-02", "datum: 2 mars 2017": a date label, then a date that
# runs to the end of the line or is ISO (only an ISO date can be told apart from text after it).
_HEADER_RE = re.compile(
    r"\A\s*(?:date|datum|published|publicerad)\b[ \t]*[:=]?[ \t]*"
    r"(?:(?P<iso>\d{4}-\d{2}(?:-\d{2})?)(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"(?![\d-])[ \t]*(?:\r?\n[ \t]*(?:\r?\n)?)?"
    r"|(?P<line>[^\n]{4,40}?)[ \t]*(?:\r?\n[ \t]*(?:\r?\n)?|\Z))",
    re.I,
)


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
    match = _HEADER_RE.match(text)
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

_YEAR_OFFSETS = {
    "förra året": -1, "i fjol": -1, "i år": 0, "nästa år": 1,
    "last year": -1, "this year": 0, "next year": 1,
}  # fmt: skip
_YEAR_WORDS = "|".join(_YEAR_OFFSETS)
_PREP = r"(?:(?:den|i|in|on|of)\s+)?"
_DAY_MONTH = rf"(?P<day>\d{{1,2}})(?::e|:a|st|nd|rd|th|\.)?\s+(?P<month>{_MONTH_RE})"
_MONTH_DAY = rf"(?P<month2>{_MONTH_RE})\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?"
_REL_YEAR = rf"(?:,?\s+(?:of\s+|i\s+)?(?P<rel>{_YEAR_WORDS}))"

_DAY_MONTH_REL = re.compile(rf"\b{_PREP}(?:{_DAY_MONTH}|{_MONTH_DAY}){_REL_YEAR}", re.I)
_MONTH_REL = re.compile(rf"\b{_PREP}(?P<month>{_MONTH_RE}){_REL_YEAR}", re.I)
_LAST_MONTH = re.compile(rf"\b(?:last|förra)\s+(?P<month>{_MONTH_RE})\b", re.I)
_YEAR_REL = re.compile(rf"\b(?P<rel>{_YEAR_WORDS})\b", re.I)
_OFFSET = re.compile(
    rf"\b(?:(?P<n>{_NUMBER_RE})\s+(?P<unit>dagar|dag|days?|veckor|vecka|weeks?)\s+"
    rf"(?P<dir>senare|efter|därefter|later|after(?:wards)?|earlier|tidigare|innan|before)"
    r"|(?P<next>dagen därpå|dagen efter|the next day|the following day))\b",
    re.I,
)
# An explicit day + month, optionally with a year or a relative year, used as the anchor of
# "two days later".
_ANCHOR = re.compile(
    rf"\b(?:{_DAY_MONTH}|{_MONTH_DAY})(?:,?\s+(?P<year>\d{{4}})\b|{_REL_YEAR})?", re.I
)


def _doc_year_month(doc_date: str | None) -> tuple[int | None, int | None]:
    if not doc_date:
        return None, None
    m = re.match(r"(\d{4})(?:-(\d{2}))?", doc_date)
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


def _month_name(number: int, like: str) -> str:
    """Month name in the language (and capitalisation) of the month word `like`."""
    names = MONTHS_SV if like.lower() in MONTHS_SV and like.lower() not in MONTHS_EN else MONTHS_EN
    name = names[number - 1]
    return name.capitalize() if like[:1].isupper() else name


def _anchor_day(text: str, doc_year: int | None, doc_month: int | None) -> tuple[date, str] | None:
    """The last explicit day + month in `text` as a date, with the month word as written."""
    found = None
    for m in _ANCHOR.finditer(text):
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
        year = doc_year + _YEAR_OFFSETS[found.group("rel").lower()]
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
        for m in _ANCHOR.finditer(text):
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
        if _ANCHOR.search(self._text, start, pos):
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

    if year is not None:
        for m in _DAY_MONTH_REL.finditer(sentence):
            word = m.group("month") or m.group("month2")
            day = m.group("day") or m.group("day2")
            rel_year = year + _YEAR_OFFSETS[m.group("rel").lower()]
            add(m, f"{int(day)} {word} {rel_year}")
        for m in _MONTH_REL.finditer(sentence):
            add(m, f"{m.group('month')} {year + _YEAR_OFFSETS[m.group('rel').lower()]}")
        for m in _LAST_MONTH.finditer(sentence):
            month = month_number(m.group("month"))
            # "last December" in a March article is unambiguous; "last February" is not.
            if month and doc_month and month >= doc_month:
                add(m, f"{m.group('month')} {year - 1}")
        for m in _YEAR_REL.finditer(sentence):
            add(m, str(year + _YEAR_OFFSETS[m.group("rel").lower()]))

    for m in _OFFSET.finditer(sentence):
        anchor = _anchor_day(f"{context}\n{sentence[: m.start()]}", year, doc_month)
        if anchor is None:
            continue
        day, word = anchor
        if m.group("next"):
            days = 1
        else:
            n = m.group("n").lower()
            count = int(n) if n.isdigit() else _NUMBER_WORDS[n]
            days = count * (7 if m.group("unit").lower().startswith(("v", "w")) else 1)
            if m.group("dir").lower() in {"earlier", "tidigare", "innan", "before"}:
                days = -days
        when = day + timedelta(days=days)
        add(m, f"{when.day} {_month_name(when.month, word)} {when.year}")

    return [(sentence[s:e], resolved) for s, e, resolved in sorted(found)]
