"""Language identification on the evaluation questions (not a test; prints accuracy).

    .venv/bin/python scripts/benchmark_langid.py [--split dev]

Every question of every set's split, detected with index.language.detect_language (fastText
plus language-data word votes on short texts) and with fastText's first guess alone, against
the set's `lang` field.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    args = parser.parse_args()
    from index.language import detect_language, language_scores

    ours = plain = total = 0
    errors: Counter[str] = Counter()
    for path in sorted((ROOT / "tests" / "eval").glob(f"*_{args.split}.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            total += 1
            got = detect_language(q["question"])
            ours += got == q["lang"]
            plain += language_scores(q["question"])[0][0] == q["lang"]
            if got != q["lang"]:
                errors[f"{q['lang']}→{got}: {q['question']}"] += 1
    print(
        f"{total} questions ({args.split}): detect_language {ours / total:.3f}, "
        f"fastText alone {plain / total:.3f}"
    )
    for error in errors:
        print("  wrong:", error)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
