"""Split a question set once, at random, into `<set>_dev.jsonl` and `<set>_test.jsonl`.

    .venv/bin/python scripts/split_eval.py tests/eval/manuals.jsonl [--seed 20240131] [--keep]

Tune on dev, report on test: a threshold or rule chosen while looking at test questions makes
the test score say nothing about documents nobody tuned for. Run this once per set; the split
files are then the set's only copy (the unsplit file is deleted unless --keep), so later edits go
to the split files and a question never moves between them.

The split is random with a fixed seed and stratified: questions are grouped by whether they are
answerable, their language, whether they are follow-ups (have a history) and whether their
evidence is in another language (an id with "-x-", or the seeds set's "c-" and "x-" prefixes);
each group is shuffled and dealt alternately, so both halves get about half of every kind.
Each question carries its own history, so a follow-up is self-contained in whichever half it
lands. Files keep the original line order.

Done once, with the default seed, for tests/eval/seeds_questions.jsonl (renamed seeds.jsonl),
seeds2.jsonl, manuals.jsonl and manuals_de.jsonl.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 20240131  # the publish date of the Debian Edu manuals in tests/corpora


def stratum(question: dict) -> tuple:
    qid = str(question.get("id", ""))
    cross = "-x-" in qid or qid.startswith(("c-", "x-"))
    return (
        bool(question.get("answerable", True)),
        str(question.get("lang", "")),
        bool(question.get("history")),
        cross,
    )


def split(lines: list[str], seed: int) -> tuple[list[str], list[str]]:
    """(dev, test) lines: every stratum shuffled and dealt alternately, original order kept."""
    rng = random.Random(seed)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        groups[stratum(json.loads(line))].append(i)
    dev: set[int] = set()
    turn = 0  # which half gets the odd one out of the next odd-sized group
    for key in sorted(groups, key=repr):
        members = groups[key]
        rng.shuffle(members)
        for j, i in enumerate(members):
            if (j + turn) % 2 == 0:
                dev.add(i)
        turn = (turn + len(members)) % 2
    return (
        [line for i, line in enumerate(lines) if i in dev],
        [line for i, line in enumerate(lines) if i not in dev],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path, help="a JSON Lines question file, e.g. x.jsonl")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--name", help="set name for the output files (default: the file stem)")
    parser.add_argument("--keep", action="store_true", help="do not delete the unsplit file")
    args = parser.parse_args(argv)
    source: Path = args.questions
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    name = args.name or source.stem
    dev_path = source.with_name(f"{name}_dev.jsonl")
    test_path = source.with_name(f"{name}_test.jsonl")
    if dev_path.exists() or test_path.exists():
        print(f"{dev_path} or {test_path} exists: a set is split only once", file=sys.stderr)
        return 1
    dev, test = split(lines, args.seed)
    for path, part in ((dev_path, dev), (test_path, test)):
        path.write_text("".join(line + "\n" for line in part), encoding="utf-8")
        print(f"{path}: {len(part)} questions")
    if not args.keep:
        source.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
