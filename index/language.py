"""Language detection for documents and questions (English and Swedish first)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["detect_language"]

DEFAULT_LANGUAGE = "en"
FOCUS = ("en", "sv")

# py3langid alone is unreliable on a five-word question ("Who is Erdogan?" comes out as
# Dutch or Swedish), so short texts are decided by a vote of function words and letters that only
# one of the two languages uses; py3langid breaks ties and identifies long texts in other languages.
_STOP_WORDS = {
    "en": frozenset(
        """the a an and or but of to in on at by for from with about as into after before
        is are was were be been being do does did done have has had will would can could
        should may might must what who whom whose when where why how which that this these
        those there here it its they them their he she his her we our you your not no yes
        many much more most than then also only very all any some""".split()
    ),
    "sv": frozenset(
        """och att det är som en ett på för med har hade inte av till den de om var vad
        hur när vem vems vilken vilket vilka varför var vart sig sin sitt sina också efter
        mellan ska skulle kan kunde blev blir mot från över utan eller
        många mycket mer mest än då där här jag du vi ni han hon hans hennes deras vår
        vårt våra dem dess nu redan bara alla något några ingen inga sedan enligt hände
        finns fanns gjorde göra""".split()
    ),
}
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
_SWEDISH_LETTERS = re.compile(r"[åäöÅÄÖ]")
_LONG_TEXT_WORDS = 25
_OTHER_LANGUAGE_PROBABILITY = 0.9
_DECISIVE_RATIO = 2.0


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # Imported lazily: loading the bundled model takes a moment and most callers never need it.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _vote(words: list[str]) -> dict[str, float]:
    votes = {lang: 0.0 for lang in FOCUS}
    for word in words:
        lower = word.lower()
        for lang in FOCUS:
            if lower in _STOP_WORDS[lang]:
                votes[lang] += 1.0
        if word == "i":  # Swedish "in"; the English pronoun is always "I"
            votes["sv"] += 1.0
        if _SWEDISH_LETTERS.search(word):
            votes["sv"] += 0.5
    return votes


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code; "en" or "sv" unless a long text is clearly another language."""
    words = _WORD_RE.findall(text)
    if not words:
        return DEFAULT_LANGUAGE
    ranking = dict(_identifier().rank(text))
    if len(words) >= _LONG_TEXT_WORDS:
        best, probability = max(ranking.items(), key=lambda item: item[1])
        if best not in FOCUS and probability >= _OTHER_LANGUAGE_PROBABILITY:
            return str(best)
    scores = _vote(words)
    en, sv = (max(ranking.get(lang, 0.0), 1e-9) for lang in FOCUS)
    # The model adds less than one word's worth, and only when it is decisive: on a lone name
    # ("Erdogan", "Turkey?") its en/sv probabilities are near equal and mean nothing.
    if max(en, sv) >= _DECISIVE_RATIO * min(en, sv):
        scores["en" if en > sv else "sv"] += 0.9
    return max(FOCUS, key=lambda lang: (scores[lang], lang == DEFAULT_LANGUAGE))
