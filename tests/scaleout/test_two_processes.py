"""`assistant serve` and `assistant ingest` as separate processes sharing one `chroma run` server.

The page is started before the document exists; another process ingests it; the page's answer
must cite it. Each process has its own data directory, so the Chroma server is all they share.
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.server]

DOCUMENT = "harbour_notes.txt"
FACT = "The Skarvik pier was rebuilt in stone in March 1911"
TEXT = f"""Harbour office notes

The tide gauge at the end of the pier sends its readings to the regional office every ten
minutes. Boats longer than twelve metres moor on the north side.

{FACT}, after a storm had destroyed the wooden pier. The work took two summers.
"""
QUESTION = "When was the Skarvik pier rebuilt in stone?"
ANSWER_TIMEOUT_S = 300  # the first question also waits for the page to load its models


def answer_text(html: str) -> str:
    """The answer's own paragraph in a rendered chat message, without tags, quotes or sources."""
    html = re.sub(r'<p class="(understood|removed)">.*?</p>', "", html, flags=re.S)
    found = re.search(r'<div class="answer[^"]*"[^>]*>\s*<p>(.*?)</p>', html, flags=re.S)
    assert found, f"no answer paragraph in {html!r}"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_page_answers_from_a_document_another_process_ingested(processes, chroma_server, tmp_path):
    from gradio_client import Client

    assistant = processes.tool("assistant")
    port = processes.free_port()
    url = f"http://127.0.0.1:{port}/"
    processes.start(
        "serve",
        [assistant, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-seed"],
        env={"ASSISTANT_CHROMA_URL": chroma_server, "ASSISTANT_DATA_DIR": str(tmp_path / "serve")},
        ready=url + "config", timeout=300,
    )  # fmt: skip

    document = tmp_path / "inbox" / DOCUMENT
    document.parent.mkdir()
    document.write_text(TEXT, encoding="utf-8")
    started = time.perf_counter()
    ingest = subprocess.run(
        [assistant, "ingest", str(document)],
        env={**processes.env(), "ASSISTANT_CHROMA_URL": chroma_server,
             "ASSISTANT_DATA_DIR": str(tmp_path / "ingest")},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    added = re.search(rf"^added +\S*{re.escape(DOCUMENT)}$", ingest.stdout, flags=re.M)
    assert added, ingest.stdout
    print(f"ingest process: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    job = Client(url, verbose=False).submit(QUESTION, api_name="/ask")
    _, messages, _ = job.result(timeout=ANSWER_TIMEOUT_S)
    print(f"answer from the page: {time.perf_counter() - started:.1f} s")

    html = "".join(part["text"] for part in messages[-1]["content"])
    assert messages[-1]["role"] == "assistant"
    assert "March 1911" in answer_text(html), html
    assert f"<mark>{FACT}" in html
    assert DOCUMENT in html and 'href="#src-t1-1"' in html
