"""Remove page boilerplate (promotions, sign-ups, donation appeals, menus) from article text.

Written by hand: no library in our dependencies strips boilerplate from *plain text*
(trafilatura, readability and jusText all need the HTML page). The rule is general, not tuned to
one site: each line (a hard-wrapped sentence counts as one) gets a promo score from the cue
lists of the language files (index/lang/*.toml, [boilerplate]), second-person appeals and
menu-like shortness; promotional lines before the article are dropped, and once the article
body is over (no plain prose follows), the first promotional line and everything after it are
dropped; a promotional line inside the article ("Read more: …") is dropped alone. Inside the
prose, words that are also menu items ("log in", "copyright") do not count: in a manual they
are content.

Cleaning only removes whole lines (a blank line marks where they were cut): every kept line is
a verbatim span of the input, so a quote from one kept line is a substring of the source file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from index.languages import all_languages

__all__ = ["clean_text", "promo_score"]


@dataclass(frozen=True, slots=True)
class _Cues:
    promotion: re.Pattern[str]  # appeals, sign-ups, site furniture: promotional anywhere
    navigation: re.Pattern[str]  # "log in", "copyright": promotional only outside the prose
    reader: re.Pattern[str]  # addressing the reader
    publisher: re.Pattern[str]  # the publication speaking of itself


@cache
def _cues() -> _Cues:
    """The boilerplate cues of every language file at once: a page is cleaned before its
    language is detected, and pages mix languages (an English "Subscribe" on a Swedish site)."""
    languages = all_languages()

    def either(patterns: list[str]) -> re.Pattern[str]:
        # Matched against the lower-cased line: three times faster than re.I.
        return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")

    def words(found: set[str]) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(w) for w in sorted(found, key=len, reverse=True))
        return re.compile(rf"\b(?:{alternatives})\b" if found else r"(?!)", re.I)

    return _Cues(
        promotion=either([p for lang in languages for p in lang.promotion_cues]),
        navigation=either([p for lang in languages for p in lang.navigation_cues]),
        reader=words({w for lang in languages for w in lang.reader_words}),
        publisher=words({w for lang in languages for w in lang.publisher_words}),
    )


_SENTENCE_END = re.compile(r"""[.!?…]["'”’»)\]]*\s*$""")
_WORD = re.compile(r"\w+")

_SHORT_WORDS = 6  # a line this short without final punctuation reads like a menu item or heading
_BODY_WORDS = 8  # a line this long ending in punctuation reads like article prose
# After a promotional line the article is over when no plain prose follows before the next
# promotional line and plain prose is at most this share of all the words left.
_PLAIN_TAIL_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int  # exclusive, includes the line break
    words: int
    score: int  # promo_score: counts navigation cues (outside the prose)
    inner: int  # promo_score without navigation cues (inside the prose)
    body: bool  # reads like article prose
    plain: bool  # prose that neither advertises nor addresses the reader


def promo_score(line: str, *, navigation: bool = True) -> int:
    """Score how promotional one line reads; 2 or more counts as promotional.

    navigation=False leaves out the cues that are also ordinary words ("log in", "copyright"):
    inside a text's prose a line saying "At the login prompt, type your name." is content.
    A line with no cue at all is never promotional: a short heading that addresses the reader
    ("Before you start") is a heading.
    """
    cues = _cues()
    lowered = line.lower()
    found = len(cues.promotion.findall(lowered))
    if navigation:
        found += len(cues.navigation.findall(lowered))
    words = len(_WORD.findall(line))
    appeal = cues.reader.search(line) is not None
    score = 2 * min(found, 2)
    if appeal:
        score += 1
    if words <= _SHORT_WORDS and not _SENTENCE_END.search(line):
        score += 1
    if found == 1 and words >= 15 and not appeal:
        score -= 1  # a long news sentence that happens to mention "donation" or "newsletter"
    return score if found else min(score, 1)


def _units(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, a hard-wrapped sentence being one unit: a line that starts
    lower-case after a line that ends without a sentence's end continues it (a manual page or
    an e-mail wrapped at 72 columns), so no line is cut out of the middle of a sentence."""
    units: list[tuple[int, int]] = []
    previous = ""
    for match in re.finditer(r"[^\n]*\n|[^\n]+", text):
        content = match.group().strip()
        if not content:
            previous = ""
            continue
        if units and previous and content[0].islower() and not _SENTENCE_END.search(previous):
            units[-1] = (units[-1][0], match.end())
        else:
            units.append((match.start(), match.end()))
        previous = content
    return units


def _lines(text: str) -> list[_Line]:
    lines = []
    cues = _cues()
    for start, end in _units(text):
        content = text[start:end].strip()
        words = len(_WORD.findall(content))
        score = promo_score(content)
        inner = promo_score(content, navigation=False)
        body = inner < 2 and words >= _BODY_WORDS and bool(_SENTENCE_END.search(content))
        plain = (
            inner < 2
            and words >= _BODY_WORDS
            and not cues.reader.search(content)
            and not cues.publisher.search(content)
        )
        lines.append(_Line(start, end, words, score, inner, body, plain))
    return lines


def _kept(lines: list[_Line]) -> list[_Line]:
    body_start = next((i for i, line in enumerate(lines) if line.body), len(lines))
    kept = [line for line in lines[:body_start] if line.score < 2]
    rest = lines[body_start:]
    # Inside the prose only promotion cues count; after its last line, navigation cues too.
    last_body = max((i for i, line in enumerate(rest) if line.body), default=-1)
    promotional = [
        (line.score if i > last_body else line.inner) >= 2 for i, line in enumerate(rest)
    ]
    # Suffix sums, so the decision at each promotional line is O(1): words and plain words after
    # line i, and whether plain prose comes after line i before the next promotional line.
    words_after = [0] * (len(rest) + 1)
    plain_after = [0] * (len(rest) + 1)
    plain_next = [False] * (len(rest) + 1)
    for i in range(len(rest) - 1, -1, -1):
        line = rest[i]
        words_after[i] = words_after[i + 1] + line.words
        plain_after[i] = plain_after[i + 1] + (line.words if line.plain else 0)
        plain_next[i] = not promotional[i] and (line.plain or plain_next[i + 1])
    for i, line in enumerate(rest):
        if not promotional[i]:
            kept.append(line)
            continue
        tail_is_plain_enough = plain_after[i + 1] > _PLAIN_TAIL_SHARE * words_after[i + 1]
        if not plain_next[i + 1] and not tail_is_plain_enough:
            break  # the article is over: this promo line and everything after it go
        # otherwise a promo line inside the article ("Read more: …"): drop just this line
    # A trailing run of menu words ("Donate", "Monthly", "Continue") is not content either, when
    # a cue says it is a menu: short lines that end a manual ("SQL-server | Supplied") are.
    tail = len(kept)
    while tail > 0 and kept[tail - 1].score >= 1 and kept[tail - 1].words <= _SHORT_WORDS:
        tail -= 1
    if len(kept) - tail >= 2 and any(line.score >= 2 for line in kept[tail:]):
        kept = kept[:tail]
    return kept


def clean_text(text: str) -> str:
    """Return `text` without its boilerplate lines; every kept line is verbatim."""
    lines = _lines(text)
    kept = _kept(lines)
    parts: list[str] = []
    previous_end: int | None = None
    for line in kept:
        if previous_end is not None:
            gap = text[previous_end : line.start]
            # Blank lines between kept lines stay as they were (so runs of kept paragraphs remain
            # one verbatim span); where lines were dropped, one blank line marks the cut.
            parts.append("\n" if gap.strip() else gap)
        parts.append(text[line.start : line.end])
        previous_end = line.end
    return "".join(parts).strip()
