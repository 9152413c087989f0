"""Check and compose again the drafts an `assistant eval` run recorded, with today's code.

    .venv/bin/python scripts/recompose.py report/yesno_dev [report/manuals_dev ...] [--changes]

Each argument is a report folder of `assistant eval --report` (its results.jsonl keeps every
question's evidence and the model's draft; its summary.json names the question file). No
retrieval runs and no LLM is loaded: a change to the verification stage, the composition or
their settings (ASSISTANT_ANSWER__*) is measured on a whole set in seconds, on exactly the drafts
the model wrote. Prints, per set, the recorded scores and the recomposed ones; --changes also
prints every answer that changed. Changes to retrieval, evidence selection or the prompt need a
new `assistant eval`.

Tune on dev splits only: a rule chosen while looking at a test split's answers makes that split's
score say nothing about documents nobody tuned for (tests/eval/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = (
    ("accuracy", "acc"),
    ("refusal_accuracy", "refuse"),
    ("false_refusal_rate", "false-ref"),
    ("citation_precision", "cite-P"),
    ("yes_no_agreement", "yes/no"),
)


def row(name: str, summary: dict[str, float | None]) -> str:
    cells = ["–" if (v := summary.get(key)) is None else f"{v:.2f}" for key, _ in COLUMNS]
    return f"{name:<24}" + "".join(f"{c:>10}" for c in cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", type=Path, help="report folders of assistant eval")
    parser.add_argument("--changes", action="store_true", help="print every changed answer")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from assistant import Assistant
    from assistant.errors import AssistantError
    from assistant.eval import recompose
    from assistant.metrics import summarize

    assistant = Assistant()
    print(f"{'set':<24}" + "".join(f"{label:>10}" for _, label in COLUMNS))
    for folder in args.reports:
        if not (folder / "summary.json").is_file() or not (folder / "results.jsonl").is_file():
            print(
                f"{folder}: not a report folder of `assistant eval --report` (it needs "
                "summary.json and results.jsonl); run assistant eval with --report first.",
                file=sys.stderr,
            )
            return 2
        try:
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
            questions = Path(summary["questions"])
            if not questions.is_absolute():
                questions = ROOT / questions
            pairs = recompose(questions, folder / "results.jsonl", assistant=assistant)
        except (OSError, KeyError, ValueError, AssistantError) as e:
            print(f"{folder}: cannot recompose: {e}", file=sys.stderr)
            return 2
        name = folder.name
        if name.endswith("_test"):
            print(f"{name}: a test split: report it, do not tune on it", file=sys.stderr)
        print(row(f"{name} (recorded)", summarize([p.recorded["scores"] for p in pairs])))
        print(row(f"{name} (now)", summarize([p.record.scores for p in pairs])))
        if stale := [p.record.id for p in pairs if p.needs_model]:
            print(
                f"  the gate lets {len(stale)} refused question(s) through now; they had no "
                f"draft, run assistant eval to measure them: {', '.join(stale)}"
            )
        if args.changes:
            for p in pairs:
                before, after = p.recorded["answer"]["answer"], p.record.answer.text
                if before != after:
                    print(f"  {p.record.id}: {before!r}")
                    print(f"  {' ' * len(p.record.id)}→ {after!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
