"""Make tests/corpora/debian-misc/: other sections of the Debian Reference (en, de) and other
Swedish man pages, sharing no section and no man page with tests/corpora/debian-ref/.

A one-time tool, kept so the corpus can be rebuilt from the Debian packages named in SOURCE.md:

    apt-get download debian-reference-en debian-reference-de manpages-sv
    for f in *.deb; do dpkg-deb -x "$f" x; done
    python tests/corpora/extract_misc.py x/usr/share

It does exactly what extract_debian_reference.py does (and reuses its functions), only for the
sections and pages listed below and into debian-misc/: each Debian Reference section (heading
level h2) is cut from its heading's marker to the next heading of the same or a higher level and
written as one HTML file, `debref-<lang>-<chapter>-<section>-<heading>.html`; images (not
copied) and anchors are left out, the text is not edited. Each Swedish man page is rendered to
plain text with `groff -k -Kutf8 -Tutf8 -P-c -rHY=0 -man | col -bx` (hyphenation off) and saved
as `man-sv-<name>.txt`. English and German get sections on different topics, so a question in
one language about the other language's topic must find its evidence across languages.
Only the standard library (groff and col must be on PATH).
"""

from __future__ import annotations

import sys
from pathlib import Path

import extract_debian_reference as base

OUT = Path(__file__).resolve().parent / "debian-misc"
SECTIONS = {
    "en": ["2.4", "3.5", "4.7", "5.4", "6.4", "7.6", "9.1", "11.3", "12.6"],
    "de": ["4.4", "6.5", "6.7", "7.9", "8.2", "10.4", "11.5"],
}
MANPAGES = ["man1/sort.1", "man1/uniq.1", "man1/cut.1", "man1/tr.1", "man1/tail.1",
            "man1/du.1", "man1/ln.1", "man1/seq.1"]  # fmt: skip


if __name__ == "__main__":
    base.main(Path(sys.argv[1]), OUT, SECTIONS, MANPAGES)
