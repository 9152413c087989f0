"""Visible text, title and date of an HTML page, in one linear pass.

Written by hand because the parsers at hand are not linear on hostile input: Python 3.11's
html.parser (under BeautifulSoup too) takes 45 s on 160 kB of "a<a<a<…" and a minute on an
unterminated attribute repeated 20,000 times, and tree edits on a page nested 64k deep took over
a minute. Here every step consumes input: a tag that never ends or a quote that never closes
ends the page (as in a browser), nothing is scanned twice, and the open elements are a stack
with a count per name, so closing tags costs amortised O(1).

Hidden content is dropped at load (documents are data: text a reader cannot see must not decide
an answer): script, style, template, noscript and page furniture (nav, header, footer, aside,
form, ...), elements with the `hidden` attribute, aria-hidden="true", an inline style with
display:none or visibility:hidden, and elements whose class or id a page stylesheet hides with a
simple selector (".x", "#y", "p.x"). Not detected: hiding by complex selectors, zero size,
off-screen positioning or text coloured like its background.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from html import unescape

__all__ = ["HtmlText", "decode_html", "html_text"]

_DROP_TAGS = frozenset(
    """script style nav footer header aside form noscript template iframe svg head object
    embed canvas select button dialog""".split()
)
_BLOCK_TAGS = frozenset(
    """p div section article main h1 h2 h3 h4 h5 h6 li blockquote pre figcaption caption
    dt dd tr table ul ol dl figure address""".split()
)
_VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen".split()
)
# Elements whose content is text up to their own end tag (markup inside is not parsed).
_RAW_TAGS = frozenset("script style textarea title xmp iframe noembed noframes noscript".split())
_HEAD_TAGS = frozenset("title meta link style script base noscript template".split())
# A start tag closes these open elements first (the common omitted end tags of HTML).
_IMPLIED_END = {
    "li": frozenset({"li", "p"}),
    "dt": frozenset({"dt", "dd", "p"}),
    "dd": frozenset({"dt", "dd", "p"}),
    "tr": frozenset({"tr", "td", "th", "p"}),
    "td": frozenset({"td", "th", "p"}),
    "th": frozenset({"td", "th", "p"}),
    "option": frozenset({"option"}),
    **{tag: frozenset({"p"}) for tag in _BLOCK_TAGS - {"li", "dt", "dd", "tr", "td", "th"}},
}
_DATE_METAS: tuple[tuple[str, str], ...] = (
    ("name", "date"),
    ("property", "article:published_time"),
    ("name", "article:published_time"),
    ("name", "dcterms.date"),
    ("name", "DC.date"),
    ("name", "pubdate"),
    ("itemprop", "datePublished"),
)
_HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|content-visibility\s*:\s*hidden",
    re.I,
)
_SIMPLE_SELECTOR = re.compile(r"^[a-zA-Z][\w-]*?([.#][\w-]+)$|^([.#][\w-]+)$")
_TAG_NAME = re.compile(r"[A-Za-z][^\s/>\x00]*")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/>=]*")
_UNQUOTED = re.compile(r"[^\s>]*")
_SPACE = re.compile(r"[\s/]*")
_WHITESPACE = re.compile(r"\s*")
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w:.-]{1,40})""", re.I)

# Private-use characters mark breaks while the page is flattened.
_BLOCK_BREAK = "\ue000"
# A table row stays one line, its cells joined by " | ": "Squid | Cache for web sites" keeps the
# name with what it is (one cell per paragraph lost which description belongs to which name).
# Below a header row (all <th>), each cell is led by its column's header: "service: imaps |
# port: 993" says which number is the port; a row alone ("imaps | 993") does not, and a row is
# what evidence selection picks and the model reads.
_CELL_BREAK = "\ue002"
_HEADER_CELL_BREAK = "\ue003"
_TABLE_EDGE = "\ue004"  # a table starts or ends: its header no longer applies
_CELL_TAGS = frozenset({"td", "th"})
_CELL_SPLIT = re.compile(f"[{_CELL_BREAK}{_HEADER_CELL_BREAK}]")
_LINE_BREAK = "\ue001"
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())


@dataclass(frozen=True, slots=True)
class HtmlText:
    """What a page says: its visible text (blocks as paragraphs), title and date metadata."""

    text: str
    title: str | None
    date_candidates: tuple[str, ...]  # meta dates in priority order, then <time datetime>
    # The text of every visible <h1>…<h6>, spaces normalised, in page order: the page itself
    # says which of its short lines are headings (evidence selection reads this, not a guess).
    headings: tuple[str, ...] = ()


def decode_html(raw: bytes) -> str:
    """The page as text: byte-order mark, then declared charset, then UTF-8, then cp1252."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                          (b"\xfe\xff", "utf-16-be")):  # fmt: skip
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    declared = _CHARSET.search(raw[:4096])
    candidates = [declared.group(1).decode("ascii").lower()] if declared else []
    for encoding in [*candidates, "utf-8"]:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("cp1252", errors="replace")


def _hiding_selectors(css: str) -> tuple[set[str], set[str]]:
    """Classes and ids that top-level rules of a stylesheet hide with a simple selector."""
    # Comments out first, with find (a regex over an unclosed "/*" would rescan the rest).
    kept, pos = [], 0
    while (start := css.find("/*", pos)) >= 0:
        kept.append(css[pos:start])
        end = css.find("*/", start + 2)
        pos = len(css) if end < 0 else end + 2
    kept.append(css[pos:])
    css = "".join(kept)
    classes: set[str] = set()
    ids: set[str] = set()
    preludes: list[str] = []
    start = 0
    for brace in re.finditer(r"[{}]", css):
        if brace.group() == "{":
            preludes.append(css[start : brace.start()].strip())
        elif preludes:
            prelude = preludes.pop()
            # Rules inside @media and the like apply only sometimes: left alone.
            if not preludes and not prelude.startswith("@"):
                if _HIDING_STYLE.search(css[start : brace.start()]):
                    for selector in prelude.split(","):
                        if match := _SIMPLE_SELECTOR.match(selector.strip()):
                            name = match.group(1) or match.group(2)
                            (classes if name[0] == "." else ids).add(name[1:])
        start = brace.end()
    return classes, ids


class _Page:
    """The element stack and the text collected so far (tree construction, simplified)."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.open: Counter[str] = Counter()
        self.hidden_at: int | None = None  # stack depth of the outermost hidden element
        self.heading_at: int | None = None  # stack depth of the open <h1>…<h6>, if any
        self.heading_tag = ""
        self.parts: list[str] = []
        self.title: str | None = None
        self.heading: list[str] = []  # the text of the open heading so far
        self.headings: list[tuple[str, str]] = []  # (tag, text) of each closed heading
        self.metas: dict[tuple[str, str], str] = {}
        self.time: str | None = None
        self.hidden_classes: set[str] = set()
        self.hidden_ids: set[str] = set()

    @property
    def visible(self) -> bool:
        return self.hidden_at is None

    def text(self, data: str) -> None:
        if self.visible and data:
            self.parts.append(data)
            if self.heading_at is not None:
                self.heading.append(data)

    def _hides(self, tag: str, attrs: dict[str, str]) -> bool:
        if tag in _DROP_TAGS or "hidden" in attrs:
            return True
        if attrs.get("aria-hidden", "").strip().lower() == "true":
            return True
        if _HIDING_STYLE.search(attrs.get("style", "")):
            return True
        if self.hidden_ids and attrs.get("id", "") in self.hidden_ids:
            return True
        return bool(self.hidden_classes) and any(
            name in self.hidden_classes for name in attrs.get("class", "").split()
        )

    def start(self, tag: str, attrs: dict[str, str], self_closing: bool) -> None:
        if tag == "meta":
            for key, value in _DATE_METAS:
                if attrs.get(key) == value and "content" in attrs:
                    self.metas.setdefault((key, value), attrs["content"])
        elif tag == "time" and self.time is None and attrs.get("datetime"):
            self.time = attrs["datetime"]
        if self.open["head"] and (tag == "body" or tag not in _HEAD_TAGS):
            self.end("head")  # a body element closes an unclosed <head>
        if tag == "br":
            self.text(_LINE_BREAK)
            return
        if tag in _VOID_TAGS:
            return
        closes = _IMPLIED_END.get(tag)
        while closes and self.stack and self.stack[-1] in closes:
            self._pop()
        self.stack.append(tag)
        self.open[tag] += 1
        if self.visible and self._hides(tag, attrs):
            self.hidden_at = len(self.stack)
        if tag in _CELL_TAGS:
            self.text(_HEADER_CELL_BREAK if tag == "th" else _CELL_BREAK)
        elif tag in _BLOCK_TAGS:
            if tag == "table":
                self.text(_TABLE_EDGE)
            self.text(self._block_break(tag))
        if tag in _HEADING_TAGS and self.heading_at is None and self.visible:
            self.heading_at, self.heading_tag = len(self.stack), tag
        if self_closing:  # <div/> in XHTML-style pages: an empty element
            self._pop()

    def _block_break(self, tag: str) -> str:
        # Paragraphs inside a table cell stay in the cell's line; rows and tables still break.
        inside_cell = self.open["td"] or self.open["th"]
        return " " if inside_cell and tag not in {"tr", "table"} else _BLOCK_BREAK

    def end(self, tag: str) -> None:
        if not self.open[tag]:
            return  # a stray end tag closes nothing
        while self._pop() != tag:
            pass

    def _pop(self) -> str:
        tag = self.stack.pop()
        self.open[tag] -= 1
        if tag == "table":
            self.text(_TABLE_EDGE)
        if tag in _BLOCK_TAGS:
            self.text(self._block_break(tag))
        depth = len(self.stack)
        if self.hidden_at is not None and depth < self.hidden_at:
            self.hidden_at = None
        if self.heading_at is not None and depth < self.heading_at:
            text = _plain("".join(self.heading))
            if text:
                self.headings.append((self.heading_tag, text))
            self.heading_at, self.heading = None, []
        return tag

    def raw(self, tag: str, content: str, *, applies: bool) -> None:
        """Content of a raw-text element (<script>, <style>, <title>, <textarea>, ...).

        applies: the element is not inside hidden content (a stylesheet in a <template> or
        <noscript> styles nothing).
        """
        if tag == "style" and applies:
            classes, ids = _hiding_selectors(content)
            self.hidden_classes |= classes
            self.hidden_ids |= ids
        elif tag == "title" and self.title is None:
            self.title = " ".join(unescape(content).split()) or None
        elif tag == "textarea":
            self.text(unescape(content))


def _attributes(html: str, pos: int) -> tuple[dict[str, str], bool, int]:
    """Attributes of a start tag from pos; (attrs, self-closing, position after '>' or -1)."""
    attrs: dict[str, str] = {}
    end = len(html)
    while True:
        gap = _SPACE.match(html, pos)
        assert gap is not None  # `*` always matches
        pos = gap.end()
        if pos >= end:
            return attrs, False, -1
        if html[pos] == ">":
            return attrs, gap.group().endswith("/"), pos + 1
        name_match = _ATTR_NAME.match(html, pos)
        assert name_match is not None  # html[pos] is neither space, '/' nor '>'
        name, pos = name_match.group().lower(), name_match.end()
        value = ""
        gap = _WHITESPACE.match(html, pos)
        after = gap.end() if gap else pos
        if after < end and html[after] == "=":
            pos = after + 1
            while pos < end and html[pos].isspace():
                pos += 1
            if pos < end and html[pos] in "\"'":
                close = html.find(html[pos], pos + 1)
                if close < 0:
                    return attrs, False, -1  # a quote that never closes runs to the end
                value, pos = html[pos + 1 : close], close + 1
            else:
                unquoted = _UNQUOTED.match(html, pos)
                assert unquoted is not None
                value, pos = unquoted.group(), unquoted.end()
        attrs.setdefault(name, unescape(value))


@lru_cache(maxsize=len(_RAW_TAGS))
def _raw_end(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{tag}[\s/>]", re.I)


def html_text(html: str) -> HtmlText:
    """Visible text, title and date candidates of a page; linear in the page's length."""
    page = _Page()
    pos, end = 0, len(html)
    while pos < end:
        lt = html.find("<", pos)
        if lt < 0:
            page.text(unescape(html[pos:]))
            break
        if lt > pos:
            page.text(unescape(html[pos:lt]))
        pos = lt
        nxt = html[pos + 1 : pos + 2]
        if html.startswith("<!--", pos):
            if html.startswith(("<!-->", "<!--->"), pos):
                pos = html.index(">", pos + 3) + 1
                continue
            close = html.find("-->", pos + 4)
            pos = end if close < 0 else close + 3
        elif nxt in ("!", "?") or (nxt == "/" and not _TAG_NAME.match(html, pos + 2)):
            close = html.find(">", pos + 2)  # doctype, bogus comment, </3>
            pos = end if close < 0 else close + 1
        elif nxt == "/":
            name = _TAG_NAME.match(html, pos + 2)
            assert name is not None
            close = html.find(">", name.end())
            if close < 0:
                break
            page.end(name.group().lower())
            pos = close + 1
        elif name := _TAG_NAME.match(html, pos + 1):
            tag = name.group().lower()
            attrs, self_closing, pos = _attributes(html, name.end())
            if pos < 0:
                break  # a tag that never ends: the rest of the page is inside it
            if tag in _RAW_TAGS and not self_closing:
                applies = page.visible
                page.start(tag, attrs, self_closing=False)
                closing = _raw_end(tag).search(html, pos)
                stop = closing.start() if closing else end
                page.raw(tag, html[pos:stop], applies=applies)
                page.end(tag)
                close = html.find(">", stop) if closing else -1
                pos = end if close < 0 else close + 1
            else:
                page.start(tag, attrs, self_closing and tag not in _VOID_TAGS)
        else:
            page.text("<")  # a lone "<" is text
            pos += 1

    blocks = []
    # Inline markup and source line wraps become single spaces; blocks become paragraphs.
    for table in "".join(page.parts).split(_TABLE_EDGE):
        header: list[str] = []
        for block in table.split(_BLOCK_BREAK):
            lines = []
            for line in block.split(_LINE_BREAK):
                cells = _row(line)
                if _HEADER_CELL_BREAK in line and _CELL_BREAK not in line:
                    header = cells
                elif header and _CELL_BREAK in line and _aligned(cells, header):
                    # strict=False: the cells past the header's, if any, are empty
                    labelled = zip(header, cells, strict=False)
                    cells = [f"{h}: {c}" if h and c else c for h, c in labelled]
                lines.append(" | ".join(cell for cell in cells if cell))
            if text := "\n".join(line for line in lines if line):
                blocks.append(text)
    if page.heading_at is not None and (text := _plain("".join(page.heading))):
        page.headings.append((page.heading_tag, text))  # a heading the page never closed
    h1 = next((text for tag, text in page.headings if tag == "h1"), "")
    dates = [page.metas[key] for key in _DATE_METAS if key in page.metas]
    if page.time:
        dates.append(page.time)
    return HtmlText(
        text="\n\n".join(blocks),
        title=page.title or h1 or None,
        date_candidates=tuple(dates),
        headings=tuple(text for _, text in page.headings),
    )


def _plain(text: str) -> str:
    """Flattened text with the break markers as spaces and spaces normalised."""
    for marker in (_LINE_BREAK, _BLOCK_BREAK, _CELL_BREAK, _HEADER_CELL_BREAK, _TABLE_EDGE):
        text = text.replace(marker, " ")
    return " ".join(text.split())


def _aligned(cells: list[str], header: list[str]) -> bool:
    """True when a row has the header's columns (trailing empty cells aside): a row with
    merged or extra cells cannot be labelled by position."""

    def used(row: list[str]) -> int:
        return max((i + 1 for i, cell in enumerate(row) if cell), default=0)

    return len(cells) == len(header) or used(cells) == used(header)


def _row(line: str) -> list[str]:
    """The cells of one line of text (one cell if it is no table row), spaces normalised.

    The text before a row's first cell is a cell too (usually empty); empty cells are kept so
    that cells and header line up by position."""
    return [" ".join(cell.split()) for cell in _CELL_SPLIT.split(line)]
