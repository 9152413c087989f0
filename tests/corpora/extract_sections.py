"""Cut Debian Edu's single-page DocBook HTML manuals into one small HTML file per section.

A one-time tool: it made the files in tests/corpora/debian-edu/ and tests/corpora/debian-edu-de/
from the Debian packages named in their SOURCE.md, and is kept so the corpus can be rebuilt.

    apt-get download debian-edu-doc-legacy-sv debian-edu-doc-legacy-en debian-edu-doc-de
    for f in *.deb; do dpkg-deb -x "$f" x; done
    python tests/corpora/extract_sections.py x/usr/share/doc

Only the standard library: each section of the DocBook output starts with the same marker, so a
section is the text from its marker to the next one of the same or a higher level. Images (not
copied) and the GPL appendix (kept once, as COPYING) are left out; the text is not edited.
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARKER = re.compile(
    r'<div class="section"><div class="titlepage"><div><div>'
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

# (package folder, manual, language, heading level, section numbers kept, output folder, prefix)
MANUALS = [
    ("debian-edu-doc-legacy-sv", "audacity-manual.html", "sv", "h2",
     ["1", "2", "3", "4", "5", "6"], "debian-edu", "audacity-sv"),
    ("debian-edu-doc-legacy-en", "rosegarden-manual.html", "en", "h2",
     [str(n) for n in range(1, 12)], "debian-edu", "rosegarden-en"),
    ("debian-edu-doc-legacy-en", "debian-edu-itil-manual.html", "en", "h3",
     ["3.1", "3.2", "3.3", "4.1", "4.4", "6.4", "6.5", "8.2", "8.10", "8.11", "8.16"],
     "debian-edu", "itil-en"),
]  # fmt: skip
# The German document is one file made of a few whole sections of the Debian Edu 12 manual.
GERMAN = ("debian-edu-doc-de", "debian-edu-bookworm-manual.html", "de",
          ["2", "4.1", "9", "11.2", "14.13", "20.1"], "debian-edu-de",
          "debian-edu-bookworm-handbuch-auszug")  # fmt: skip


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def sections(raw: str, level: str) -> dict[str, tuple[str, str]]:
    """Section number → (heading text, HTML) for every section of `level`."""
    marks = list(MARKER.finditer(raw))
    end_of_body = raw.rfind("</body>")
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
    fragment = re.sub(r'<a id="[^"]*"></a>', "", fragment)
    return fragment


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].rstrip("-")


def main(doc_root: Path) -> None:
    for package, manual, lang, level, keep, folder, prefix in MANUALS:
        raw = (doc_root / package / manual).read_text(encoding="utf-8")
        title = plain(re.search(r"<title>(.*?)</title>", raw, re.S).group(1))
        found = sections(raw, level)
        out = HERE / folder
        out.mkdir(exist_ok=True)
        for number in keep:
            heading, body = found[number]
            numbered = "-".join(part.zfill(2) for part in number.split("."))
            name = f"{prefix}-{numbered}-{slug(heading.split(' ', 1)[1])}"
            page = PAGE.format(lang=lang, title=f"{title}: {heading}", body=clean(body))
            (out / f"{name}.html").write_text(page, encoding="utf-8")
    package, manual, lang, keep, folder, name = GERMAN
    raw = (doc_root / package / manual).read_text(encoding="utf-8")
    title = plain(re.search(r"<title>(.*?)</title>", raw, re.S).group(1))
    found = {**sections(raw, "h2"), **sections(raw, "h3")}
    body = "\n".join(clean(found[number][1]) for number in keep)
    out = HERE / folder
    out.mkdir(exist_ok=True)
    page = PAGE.format(lang=lang, title=f"{title} (Auszug)", body=body)
    (out / f"{name}.html").write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
