"""One writing process per embedded store: a second writer gets a clear error, readers do not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant, Settings, StoreError, cli
from index.lock import writer_lock
from index.store import ChunkStore

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from index.lock import writer_lock
writer_lock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def other_writer(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that holds the writer lock of tmp_path/data."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "data")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def assistant(settings, fake_llm, fake_embedder, chroma_client, unique_collection):
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    return Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)


def test_a_second_writer_is_told_what_to_do(other_writer, assistant, tmp_path):
    with pytest.raises(StoreError) as caught:
        assistant.ingest([ROOT / "seeds"])
    message = str(caught.value)
    assert f"process {other_writer.pid}" in message
    assert "chroma run --path" in message and "ASSISTANT_CHROMA_URL" in message
    assert assistant.sources() == []  # nothing was written


def test_readers_still_work_while_another_process_writes(other_writer, assistant):
    assert assistant.sources() == []  # reading the manifest takes no lock
    assert not writer_lock(assistant.settings.data_dir).held


def test_remove_is_a_write_too(other_writer, assistant):
    with pytest.raises(StoreError, match="one writing process"):
        assistant.claim_writer()


def test_the_lock_goes_with_a_killed_process(other_writer, assistant):
    os.kill(other_writer.pid, signal.SIGKILL)
    other_writer.wait()
    report = assistant.ingest([ROOT / "seeds"])
    assert len(report.added) == 2
    assert writer_lock(assistant.settings.data_dir).held


def test_the_same_process_writes_through_any_number_of_assistants(assistant, settings):
    assistant.ingest([ROOT / "seeds"])
    again = Assistant(
        settings, llm=assistant.llm, embedder=assistant.embedder, store=assistant.store
    )
    assert again.ingest([ROOT / "seeds"]).unchanged


def test_a_chroma_server_needs_no_lock(other_writer, assistant):
    assistant.settings = Settings(data_dir=assistant.settings.data_dir, chroma_url="http://x:1")
    assistant.claim_writer()  # no error: the server serializes writes from many processes


def test_cli_ingest_gets_the_message_and_exit_status_1(other_writer, assistant, monkeypatch):
    monkeypatch.setattr(cli, "_assistant", lambda **_: assistant)
    result = CliRunner().invoke(cli.main, ["ingest", str(ROOT / "seeds")])
    assert result.exit_code == 1
    assert "ASSISTANT_CHROMA_URL" in result.output and "Traceback" not in result.output
    assert CliRunner().invoke(cli.main, ["sources"]).exit_code == 0
