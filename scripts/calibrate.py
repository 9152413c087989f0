"""Calibrate the refusal gate's threshold (`retrieval.min_evidence_score`) on the dev splits.

    .venv/bin/python scripts/calibrate.py [tests/eval/*_dev.jsonl ...] [--low 0.2] [--high 0.6]

For every question the script retrieves and selects evidence exactly as `ask` does (no LLM is
loaded: the gate decides before the model is asked), then prints, per threshold, how many
unanswerable questions the gate refuses and how many answerable ones it wrongly refuses, per set
and pooled, and the threshold with the best balanced accuracy over the pooled sets (the mean of
the two rates; ties go to the lower threshold, which leaves more to the later checks).

Test splits are refused: a threshold chosen while looking at them makes their score say nothing
about documents nobody tuned for (tests/eval/README.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from assistant import Assistant


@dataclass(frozen=True)
class Gated:
    """What the gate saw for one question: the best evidence score and any other reason."""

    answerable: bool
    best: float  # best evidence score (0 when nothing matched)
    other_reason: bool  # refused whatever the threshold (no evidence, an unknown name)


def gate_view(assistant: Assistant, question: str, answerable: bool) -> Gated:
    from assistant.compose import answerability

    prepared = assistant.engine.prepare(question)
    best = prepared.evidence[0].score if prepared.evidence else 0.0
    # The gate's other reasons (no evidence, a name the documents never mention), asked with a
    # threshold of 0 so that the score decides nothing here: the grid below applies each one.
    other = answerability(prepared.standalone, prepared.evidence, 0.0, language=prepared.language)
    return Gated(answerable, best, other is not None)


def rates(items: list[Gated], threshold: float) -> tuple[int, int, int, int]:
    """(unanswerable refused, unanswerable, answerable refused, answerable) at threshold."""
    refused = [g.other_reason or g.best < threshold for g in items]
    unans = [r for g, r in zip(items, refused, strict=True) if not g.answerable]
    ans = [r for g, r in zip(items, refused, strict=True) if g.answerable]
    return sum(unans), len(unans), sum(ans), len(ans)


def balanced(items: list[Gated], threshold: float) -> float:
    ur, un, ar, an = rates(items, threshold)
    return ((ur / un if un else 1.0) + (1 - ar / an if an else 1.0)) / 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", type=Path, help="dev question files")
    parser.add_argument("--low", type=float, default=0.2, help="lowest threshold (0.2)")
    parser.add_argument("--high", type=float, default=0.6, help="highest threshold (0.6)")
    parser.add_argument("--step", type=float, default=0.02, help="threshold step (0.02)")
    args = parser.parse_args()
    files = args.questions or sorted((ROOT / "tests" / "eval").glob("*_dev.jsonl"))
    if bad := [str(f) for f in files if f.name.endswith("_test.jsonl")]:
        parser.error(f"{', '.join(bad)}: calibrate on dev splits only (see tests/eval/README.md)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from llama_index.core.llms import MockLLM

    from assistant import Assistant
    from assistant.eval import load_questions
    from assistant.eval_corpus import corpus_assistant, resolve_corpus, set_name

    base = Assistant(llm=MockLLM())  # the gate never asks the model
    current = base.settings.retrieval.min_evidence_score
    per_set: dict[str, list[Gated]] = {}
    for path in files:
        docs = resolve_corpus(path, None)
        assistant = corpus_assistant(docs, base)[0] if docs is not None else base
        items = []
        for q in load_questions(path):
            if q.history:
                continue  # a follow-up needs the model to rewrite it first
            items.append(gate_view(assistant, q.question, q.answerable))
        per_set[set_name(path)] = items
        print(f"{path.name}: {len(items)} questions without history", flush=True)

    pooled = [g for items in per_set.values() for g in items]
    steps = int(round((args.high - args.low) / args.step)) + 1
    grid = sorted({round(args.low + i * args.step, 4) for i in range(steps)} | {current})
    names = list(per_set)
    print("\nthreshold  " + "  ".join(f"{n:>18}" for n in [*names, "pooled"]) + "  balanced")
    print("           " + "  ".join(f"{'unans-ref ans-ref':>18}" for _ in [*names, "pooled"]))
    for t in grid:
        cells = []
        for items in [*per_set.values(), pooled]:
            ur, un, ar, an = rates(items, t)
            cells.append(f"{ur:>4}/{un:<4} {ar:>4}/{an:<4}")
        mark = "  <- current" if t == current else ""
        row = "  ".join(f"{c:>18}" for c in cells)
        print(f"{t:9.2f}  {row}  {balanced(pooled, t):.3f}{mark}")
    best = max(grid, key=lambda t: (balanced(pooled, t), -t))
    print(
        f"\nbest balanced accuracy on the pooled dev sets: threshold {best:.2f} "
        f"({balanced(pooled, best):.3f}); current {current:.2f} ({balanced(pooled, current):.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
