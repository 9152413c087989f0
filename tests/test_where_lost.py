"""scripts/where_lost.py: reading test questions one by one is refused; a wrong path is named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "where_lost.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_show_is_refused_for_test_splits():
    result = run("tests/eval/seeds_test.jsonl", "--show")
    assert result.returncode == 2 and "dev splits only" in result.stderr


def test_a_missing_question_file_is_named():
    result = run("tests/eval/nosuch_dev.jsonl")
    assert result.returncode == 2 and "nosuch_dev.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
