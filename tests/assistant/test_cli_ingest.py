"""`assistant ingest` shows a progress bar on a terminal, and nothing extra in a pipe."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner

from assistant import cli

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ingest_on_a_terminal_shows_files_chunks_rate_and_time_left(fake_assistant, monkeypatch):
    terminal = _Terminal()
    bar = cli._IngestBar
    monkeypatch.setattr(cli, "_IngestBar", lambda: bar(file=terminal))
    result = CliRunner().invoke(cli.main, ["ingest", str(SEEDS)])
    assert result.exit_code == 0, result.output

    chunks = sum(d.chunks for d in fake_assistant.sources())
    last = terminal.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith(f"2/2 files, {chunks} chunks, ")
    assert " chunks/s " in last and "100%|" in last and "<00:00]" in last


def test_ingest_in_a_pipe_prints_only_the_report(fake_assistant):
    result = CliRunner().invoke(cli.main, ["ingest", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "chunks/s" not in result.output and "%|" not in result.output
    assert result.output.splitlines()[-1].startswith("2 added, 0 updated, 0 unchanged; ")
