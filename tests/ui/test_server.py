"""The page served for real (in-process, loopback) with the fake models, driven by gradio_client.

What only a running server shows: the bounded queue's "busy" answer, uploads through Gradio's
own cache (then deleted), per-session upload folders, and no server paths in what the page loads.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Answer, Assistant, Settings
from index.store import ChunkStore
from ui.app import launch

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_llm: Any,
    fake_embedder: Any,
    chroma_client: Any,
    unique_collection: str,
) -> Iterator[tuple[str, Assistant, threading.Event]]:
    """A server whose answers wait for the returned event (so requests pile up)."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-cache"))
    settings = Settings(data_dir=tmp_path / "data", ui={"queue_size": 1})
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    assistant = Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)
    assistant.ensure_seeded()
    release = threading.Event()

    def slow_stream(question: str, history: Any = None) -> Iterator[str | Answer]:
        release.wait(60)
        yield Answer(question=question, text="Slow but sure.", refused=False, language="en")

    assistant.stream = slow_stream  # type: ignore[method-assign]
    monkeypatch.setattr("ui.app._warm_up", lambda a: None)
    port = free_port()
    demo = launch(assistant, host="127.0.0.1", port=port, prevent_thread_lock=True)
    try:
        yield f"http://127.0.0.1:{port}/", assistant, release
    finally:
        release.set()
        demo.close()


def test_a_full_queue_answers_busy_try_again(served):
    from gradio_client import Client

    url, _, release = served
    jobs = []
    for n in range(5):  # two run (CHAT_CONCURRENCY), one waits (queue_size=1), two are turned away
        jobs.append(Client(url, verbose=False).submit(f"Question {n}?", api_name="/ask"))
        time.sleep(0.3)
    time.sleep(1)
    release.set()
    outcomes = []
    for job in jobs:
        try:
            job.result(timeout=60)
            outcomes.append("answered")
        except Exception as exc:  # gradio_client's QueueError
            outcomes.append(str(exc))
    assert outcomes.count("answered") == 3
    assert [o for o in outcomes if o != "answered"] == ["Queue is full! Please try again."] * 2


def test_uploads_are_per_session_and_leave_gradios_cache_empty(served, tmp_path):
    from gradio_client import Client, handle_file

    url, assistant, _ = served
    for n, text in enumerate(
        ["The office holds fika on Thursdays.", "The lab backs up on Fridays."]
    ):
        mine = tmp_path / f"client{n}" / "report.txt"
        mine.parent.mkdir()
        mine.write_text(f"Notes {n}\n\n{text}\n", encoding="utf-8")
        Client(url, verbose=False).predict([handle_file(str(mine))], api_name="/upload")
        assert mine.exists()  # the client's own file is never touched

    reports = [d for d in assistant.sources() if d.name == "report.txt"]
    assert len(reports) == 2 and len({Path(d.source).parent for d in reports}) == 2
    # Gradio's copies are gone with their folders. (Its multipart parser also leaves an empty
    # temp file per request in the cache root; Blocks(delete_cache=...) sweeps those.)
    cache = tmp_path / "gradio-cache"
    assert [p for p in cache.rglob("*") if p.is_dir() or p.stat().st_size] == []


def test_the_page_holds_no_server_paths(served, tmp_path):
    url, _, _ = served
    for path in ("", "config"):
        with urllib.request.urlopen(url + path, timeout=30) as response:
            page = response.read().decode("utf-8")
        assert str(tmp_path) not in page
    assert "004_fc025db9153bd9ca.txt" in page  # the documents are listed by name


def test_a_refused_type_is_named_and_not_kept(served, tmp_path):
    from gradio_client import Client, handle_file

    url, assistant, _ = served
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ\x90\x00 not a document")
    result = Client(url, verbose=False).predict([handle_file(str(exe))], api_name="/upload")
    assert "setup.exe</code> was not indexed: only txt, md, html, htm, pdf files" in str(result)
    assert "setup.exe" not in {d.name for d in assistant.sources()}
    cache = tmp_path / "gradio-cache"
    assert [p for p in cache.rglob("*") if p.is_dir() or p.stat().st_size] == []
