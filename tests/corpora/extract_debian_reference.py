"""Make tests/corpora/debian-ref/: sections of the Debian Reference (en, de) and Swedish man pages.

A one-time tool, kept so the corpus can be rebuilt from the Debian packages named in SOURCE.md:

    apt-get download debian-reference-en debian-reference-de manpages-sv
    for f in *.deb; do dpkg-deb -x "$f" x; done
    python tests/corpora/extract_debian_reference.py x/usr/share

Only the standard library (the man pages are rendered by groff and col, which must be on PATH).
The Debian Reference is one DocBook HTML file per chapter; a section is the text from its
heading's marker to the next heading of the same or a higher level. Images (not copied) and
anchors are left out; the text is not edited. English and German get different sections, so
the two languages share no topic. A man page is rendered to plain text as man(1) would show it,
except that hyphenation is off (-rHY=0), so no word is split across two lines.
"""

from __future__ import annotations

import gzip
import html
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent / "debian-ref"
MARKER = re.compile(
    r'<div class="section">\s*<div class="titlepage">\s*<div>\s*<div>\s*'
    r'<(h[234]) class="title"[^>]*>(.*?)</\1>',
    re.S,
)
PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
{body}
</body>
</html>
"""
# language → Debian Reference sections kept (all at heading level h2)
SECTIONS = {
    "en": ["1.1", "1.3", "2.6", "3.2", "4.6", "6.3", "8.1", "9.2", "9.7"],
    "de": ["2.3", "3.8", "4.1", "5.5", "9.9", "9.10", "10.2"],
}
# Swedish man pages (manpages-sv): section/name
MANPAGES = ["man1/intro.1", "man1/dd.1", "man1/shred.1", "man1/timeout.1", "man1/chmod.1",
            "man1/date.1"]  # fmt: skip


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def sections(raw: str, level: str) -> dict[str, tuple[str, str]]:
    """Section number → (heading text, HTML) for every section of `level`."""
    marks = list(MARKER.finditer(raw))
    end_of_body = raw.find('<div class="navfooter">')
    found = {}
    for i, m in enumerate(marks):
        if m.group(1) != level:
            continue
        end = next((n.start() for n in marks[i + 1 :] if n.group(1) <= level), end_of_body)
        heading = plain(m.group(2))
        number = heading.split(" ", 1)[0].rstrip(".")
        found[number] = (heading, raw[m.start() : end])
    return found


def clean(fragment: str) -> str:
    fragment = re.sub(r"<img\b[^>]*>", "", fragment)
    fragment = re.sub(r'<a id="[^"]*"\s*(/>|></a>)', "", fragment)
    return fragment


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].rstrip("-")


def main(
    share: Path,
    out: Path = OUT,
    keep_sections: dict[str, list[str]] = SECTIONS,
    manpages: list[str] = MANPAGES,
) -> None:
    """Write the kept sections and man pages found under share (…/usr/share) into out."""
    out.mkdir(exist_ok=True)
    ref = share / "debian-reference"
    for lang, keep in keep_sections.items():
        title = plain(re.search(r"<title>(.*?)</title>",
                                (ref / f"index.{lang}.html").read_text(encoding="utf-8"),
                                re.S).group(1))  # fmt: skip
        for number in keep:
            chapter = ref / f"ch{int(number.split('.')[0]):02d}.{lang}.html"
            heading, body = sections(chapter.read_text(encoding="utf-8"), "h2")[number]
            numbered = "-".join(part.zfill(2) for part in number.split("."))
            name = f"debref-{lang}-{numbered}-{slug(heading.split(' ', 1)[1])}"
            page = PAGE.format(lang=lang, title=f"{title}: {heading}", body=clean(body))
            (out / f"{name}.html").write_text(page, encoding="utf-8")
    for page in manpages:
        source = gzip.decompress((share / "man" / "sv" / f"{page}.gz").read_bytes())
        rendered = subprocess.run(
            ["groff", "-k", "-Kutf8", "-Tutf8", "-P-c", "-rHY=0", "-man"],
            input=source,
            capture_output=True,
            check=True,
        ).stdout
        text = subprocess.run(["col", "-bx"], input=rendered, capture_output=True, check=True,
                              env={**os.environ, "LC_ALL": "C.UTF-8"}).stdout  # fmt: skip
        name = page.split("/")[1].rsplit(".", 1)[0]
        (out / f"man-sv-{name}.txt").write_bytes(text)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
