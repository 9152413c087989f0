"""scripts/calibrate.py: the gate's rates per threshold, and no calibrating on test splits."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("calibrate", ROOT / "scripts" / "calibrate.py")
calibrate = importlib.util.module_from_spec(spec)
sys.modules["calibrate"] = calibrate  # dataclasses look their module up by name
spec.loader.exec_module(calibrate)
Gated = calibrate.Gated

ITEMS = [
    Gated(answerable=True, best=0.60, other_reason=False),
    Gated(answerable=True, best=0.40, other_reason=False),
    Gated(answerable=False, best=0.30, other_reason=False),
    Gated(answerable=False, best=0.70, other_reason=True),  # an unknown name: always refused
]


def test_rates_count_refusals_per_threshold():
    assert calibrate.rates(ITEMS, 0.35) == (2, 2, 0, 2)
    assert calibrate.rates(ITEMS, 0.50) == (2, 2, 1, 2)
    assert calibrate.rates(ITEMS, 0.20) == (1, 2, 0, 2)
    assert calibrate.balanced(ITEMS, 0.35) == 1.0
    assert calibrate.balanced(ITEMS, 0.50) == 0.75


def test_test_splits_are_refused():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "calibrate.py"), "tests/eval/seeds_test.jsonl"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "dev splits only" in result.stderr
