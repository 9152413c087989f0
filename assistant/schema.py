"""The values an answer is made of: citations, timings, the answer, and prepared evidence.

Frozen dataclasses shared by the engine (assistant.answer), the pure composition
(assistant.compose), the API, the evaluation and the UI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.evidence import Evidence
from index.languages import supported_languages


@dataclass(frozen=True, slots=True)
class Citation:
    """A checked source of an answer: `quote` is exactly the cleaned text [start:end]."""

    n: int
    source: str
    title: str | None
    date: str | None
    language: str
    quote: str
    start: int
    end: int
    score: float
    context: str = ""  # the surrounding chunk of the document, for display
    context_start: int = 0  # offset of `context` in the cleaned document

    @property
    def name(self) -> str:
        return Path(self.source).name

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "language": self.language,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True, slots=True)
class Timings:
    """Seconds spent per stage of one answer."""

    retrieve_s: float = 0.0
    generate_s: float = 0.0
    total_s: float = 0.0
    first_token_s: float | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A checked answer: text with [n] markers, each resolving to a Citation."""

    question: str
    text: str
    refused: bool
    language: str
    citations: tuple[Citation, ...] = ()
    timings: Timings = field(default_factory=Timings)
    standalone_question: str = ""
    draft: str = ""  # what the LLM wrote, before checking
    removed: tuple[str, ...] = ()  # answer sentences dropped by citation checking
    removed_reasons: tuple[str, ...] = ()  # why each of `removed` was dropped, in its order
    mode: str = "generated"  # "generated" | "quoted" | "refused"
    short: str | None = None  # the date, number or name that answers (assistant.short_answer)
    refusal_reason: str | None = None  # why a refused answer was refused
    # What the answer was made from (question, evidence, gate): kept by the eval's results file so
    # the checks can be run again on the same drafts (assistant.eval.recompose); not in to_dict.
    prepared: Prepared | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The `ask --json` object."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "answer": self.text,
            "short_answer": self.short,
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "language": self.language,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            # How many draft sentences the check removed, never their text: only checked text
            # reaches a user, scripts included (the eval's results file keeps them for analysis).
            "removed": len(self.removed),
            "timings": {
                k: (round(v, 3) if v is not None else None) for k, v in asdict(self.timings).items()
            },
        }


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything known before generation starts."""

    question: str
    standalone: str
    language: str
    evidence: tuple[Evidence, ...]
    refusal_reason: str | None  # set when the evidence cannot answer: skip the LLM
    retrieve_s: float
    started: float

    @property
    def reply_language(self) -> str:
        """The language the model is asked to write its draft in.

        The question's, when some evidence is in it. When none is (a Swedish question over
        English manuals), the best evidence's: a small model asked to answer in one language
        from evidence in another mostly writes the question back instead of an answer, while
        it copies facts from evidence in their own language well; the draft is then checked
        against its spans in that language and shown as a quote with a lead-in in the
        question's language (assistant.compose).
        """
        if not self.evidence or any(e.language == self.language for e in self.evidence):
            return self.language
        best = self.evidence[0].language
        return best if best in supported_languages() else self.language


def prepared_to_dict(prepared: Prepared) -> dict[str, Any]:
    """A Prepared as JSON-ready data (its timings left out); prepared_from_dict reads it back."""
    return {
        "question": prepared.question,
        "standalone": prepared.standalone,
        "language": prepared.language,
        "refusal_reason": prepared.refusal_reason,
        "evidence": [asdict(e) for e in prepared.evidence],
    }


def prepared_from_dict(data: dict[str, Any]) -> Prepared:
    """The Prepared that prepared_to_dict wrote (timings zero)."""
    evidence = tuple(
        Evidence(**{**e, "notes": tuple(tuple(note) for note in e.get("notes", ()))})
        for e in data["evidence"]
    )
    return Prepared(
        question=data["question"],
        standalone=data["standalone"],
        language=data["language"],
        evidence=evidence,
        refusal_reason=data["refusal_reason"],
        retrieve_s=0.0,
        started=0.0,
    )
