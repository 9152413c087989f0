"""Remove page boilerplate (promotions, sign-ups, donation appeals, menus) from article text.

Written by hand: no library in our dependencies strips boilerplate from *plain text*
(trafilatura, readability and jusText all need the HTML page). The rule is general, not tuned to
one site: each line gets a promo score from a small English/Swedish cue list, second-person
appeals and menu-like shortness; promotional lines before the article are dropped, and once the
article body is over (no plain prose follows), the first promotional line and everything after
it are dropped; a promotional line inside the article ("Read more: …") is dropped alone.

Cleaning only removes whole lines (a blank line marks where they were cut): every kept line is
a verbatim span of the input, so a quote from one kept line is a substring of the source file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["clean_text", "promo_score"]

_CUES = re.compile(
    r"""
    ^\W*support\b | © | \b(?:
      subscri(?:be|bers?|ption|ptions)\b | unsubscribe\b | sign(?:ing)?[ -]up\b | sign[ -]in\b
    | log[ -]?in\b | newsletters?\b | donat(?:e|es|ion|ions|ing)\b
    | support\ (?:us|our|independent|today|quality)\b | contributions?\b
    | privacy\ policy\b | terms\ of\ (?:use|service)\b | cookie(?:s|\ policy)?\b
    | read\ (?:more|also|next)\b | see\ also\b | related\ (?:articles|stories)\b
    | follow\ us\b | share\ (?:this|on)\b | click\ here\b | remind\ me\b
    | advertisement\b | sponsored\b | all\ rights\ reserved\b | copyright\b
    | a\ message\ from\b | dear\ (?:readers?|friends?)\b | thank\ you\ for\ (?:reading|your)\b
    | prenumer(?:era|ation|ant|anter)\w* | nyhetsbrev\w* | stöd\ oss\b | stötta\ oss\b
    | bidra\b | swish\b | donera\w* | läs\ (?:mer|också|även|vidare)\b
    | integritetspolicy\w* | annons\b | följs?\ oss\b | dela\ (?:artikeln|på)\b
    | kära\ läsare\b | bli\ medlem\b | registrera\ dig\b | logga\ in\b
    )
    """,
    re.X,  # matched against the lower-cased line: three times faster than re.I
)
# Addressing the reader, or speaking as the publication: common in appeals, rare in news prose.
_APPEAL = re.compile(
    r"\b(?:you|your|yours|you're|you'll|du|dig|din|ditt|dina|ni|er|era|ert)\b", re.I
)
_FIRST_PLURAL = re.compile(r"\b(?:we|our|us|vi|oss|vår|vårt|våra)\b", re.I)
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
    score: int
    body: bool  # reads like article prose
    plain: bool  # prose that neither advertises nor addresses the reader


def promo_score(line: str) -> int:
    """Score how promotional one line reads; 2 or more counts as promotional."""
    words = len(_WORD.findall(line))
    cues = len(_CUES.findall(line.lower()))
    appeal = _APPEAL.search(line) is not None
    score = 2 * min(cues, 2)
    if appeal:
        score += 1
    if words <= _SHORT_WORDS and not _SENTENCE_END.search(line):
        score += 1
    if cues == 1 and words >= 15 and not appeal:
        score -= 1  # a long news sentence that happens to mention "donation" or "newsletter"
    return score


def _lines(text: str) -> list[_Line]:
    lines = []
    for match in re.finditer(r"[^\n]*\n|[^\n]+", text):
        content = match.group().strip()
        if not content:
            continue
        words = len(_WORD.findall(content))
        score = promo_score(content)
        body = score < 2 and words >= _BODY_WORDS and bool(_SENTENCE_END.search(content))
        plain = (
            score < 2
            and words >= _BODY_WORDS
            and not _APPEAL.search(content)
            and not _FIRST_PLURAL.search(content)
        )
        lines.append(_Line(match.start(), match.end(), words, score, body, plain))
    return lines


def _kept(lines: list[_Line]) -> list[_Line]:
    body_start = next((i for i, line in enumerate(lines) if line.body), len(lines))
    kept = [line for line in lines[:body_start] if line.score < 2]
    rest = lines[body_start:]
    # Suffix sums, so the decision at each promotional line is O(1): words and plain words after
    # line i, and whether plain prose comes after line i before the next promotional line.
    words_after = [0] * (len(rest) + 1)
    plain_after = [0] * (len(rest) + 1)
    plain_next = [False] * (len(rest) + 1)
    for i in range(len(rest) - 1, -1, -1):
        line = rest[i]
        words_after[i] = words_after[i + 1] + line.words
        plain_after[i] = plain_after[i + 1] + (line.words if line.plain else 0)
        plain_next[i] = line.score < 2 and (line.plain or plain_next[i + 1])
    for i, line in enumerate(rest):
        if line.score < 2:
            kept.append(line)
            continue
        tail_is_plain_enough = plain_after[i + 1] > _PLAIN_TAIL_SHARE * words_after[i + 1]
        if not plain_next[i + 1] and not tail_is_plain_enough:
            break  # the article is over: this promo line and everything after it go
        # otherwise a promo line inside the article ("Read more: …"): drop just this line
    # A trailing run of menu words ("Once", "Monthly", "Continue") is not content either.
    tail = len(kept)
    while tail > 0 and kept[tail - 1].score >= 1 and kept[tail - 1].words <= _SHORT_WORDS:
        tail -= 1
    if len(kept) - tail >= 2:
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
