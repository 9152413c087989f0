"""The engine holds on documents nobody tuned for: no sample document's names in code or data."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Names from the sample documents in seeds/ (and their Swedish forms). Example questions shown
# to users (docstrings with ">>>", "Example", help texts naming `assistant ask`) are exempt.
SEED_NAMES = re.compile(
    r"russia|ryssland|turkey|turkiet|erdogan|putin|karlov|al-bab|moscow|moskva|ankara|kreml|syri",
    re.IGNORECASE,
)
EXEMPT = re.compile(r"assistant ask|>>>|[Ee]xample|^\s*\"[^\"]*\?\",$")


def _files() -> list[Path]:
    out: list[Path] = []
    for folder in ("assistant", "index", "ui", "prompts"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".toml", ".json", ".md", ".yaml", ".txt"}:
                out.append(path)
    return out


def test_no_seed_names_in_code_or_language_data():
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _files()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SEED_NAMES.search(line) and not EXEMPT.search(line)
    ]
    assert not hits, "sample-document names in code or data:\n" + "\n".join(hits)
