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


def _prepared(question: str, text: str, score: float):
    from assistant.compose import answerability
    from assistant.evidence import Evidence
    from assistant.schema import Prepared

    e = Evidence(
        n=1, doc_id="d", source="/docs/en.txt", title=None, date=None, language="en", text=text,
        start=0, end=len(text), score=score, dense=score, lexical=0.5,
    )  # fmt: skip
    reason = answerability(question, [e], 0.34, language="en")
    return Prepared(question, question, "en", (e,), reason, 0.0, 0.0)


class _Gate:
    def __init__(self, prepared):
        self.engine = self
        self._prepared = prepared

    def prepare(self, question):
        return self._prepared


def test_a_refusal_by_score_alone_is_left_to_the_threshold_grid():
    # The gate refused for the score (0.30 < 0.34): a lower threshold must be able to admit it.
    low = _prepared("When did the museum open?", "The museum opened in May 1990.", 0.30)
    assert low.refusal_reason is not None
    gated = calibrate.gate_view(_Gate(low), low.question, True)
    assert gated == Gated(answerable=True, best=0.30, other_reason=False)
    assert calibrate.rates([gated], 0.28) == (0, 0, 0, 1)
    # A name the documents never mention refuses whatever the threshold.
    named = _prepared("When did Zorblax open the museum?", "The museum opened in May 1990.", 0.6)
    assert calibrate.gate_view(_Gate(named), named.question, False).other_reason
