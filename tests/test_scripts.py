"""scripts/test.sh (CI's entry point) run in a scratch copy: its exit code and its last line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"^=* ?\d+ (passed|failed|deselected).* in [\d.]+s( \(.*\))? ?=*$")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of test.sh with no-op set-up steps, the real pytest and a two-test suite."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shutil.copy(ROOT / "scripts" / "test.sh", scripts / "test.sh")
    for step in ("setup.sh", "install_browser.sh"):
        (scripts / step).write_text("echo 'setup: ok'\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pytest").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pytest "$@"\n')
    (bin_dir / "pytest").chmod(0o755)
    (tmp_path / "test_suite.py").write_text(
        "def test_passes():\n    assert True\n\ndef test_fails():\n    assert False\n"
    )
    return tmp_path


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        ["bash", str(project / "scripts" / "test.sh"), "-p", "no:cacheprovider", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_no_tests_collected_fails(project: Path) -> None:
    result = run(project, "test_suite.py", "-k", "no_such_test")
    assert result.returncode == 5, result.stdout + result.stderr


def test_exit_code_is_pytests_and_the_summary_line_is_last(project: Path) -> None:
    passed = run(project, "test_suite.py", "-k", "passes")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert SUMMARY.match(passed.stdout.rstrip("\n").splitlines()[-1]), passed.stdout
    failed = run(project, "test_suite.py")
    assert failed.returncode == 1
    last = failed.stdout.rstrip("\n").splitlines()[-1]
    assert SUMMARY.match(last) and "1 failed, 1 passed" in last, failed.stdout
