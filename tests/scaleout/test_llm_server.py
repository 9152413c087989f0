"""Answers through an OpenAI-compatible server: llama-cpp-python's own, a real process on loopback.

The server runs the bundled GGUF; this process never loads it (llama_cpp.Llama is forbidden
here), so the checked answer's words can only have come from the server.
"""

from __future__ import annotations

import re
import sys
import time

import llama_cpp
import pytest

from assistant import Assistant, Settings
from assistant.models import resolve_gguf

pytestmark = [pytest.mark.e2e, pytest.mark.server]

SANCTIONS_SEED = "004_fc025db9153bd9ca.txt"
COMPLETIONS = re.compile(r'"POST /v1/chat/completions HTTP/1\.1" 200')


def test_answer_comes_from_the_llm_server(processes, monkeypatch):
    local = Settings()
    gguf = resolve_gguf(local)  # the bundled model, assembled and verified by the project's code
    port = processes.free_port()
    processes.start(
        "llm-server",
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
         "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", str(local.models.context_window), "--n_threads", str(local.models.n_threads)],
        ready=f"http://127.0.0.1:{port}/v1/models", timeout=120,
    )  # fmt: skip

    def no_local_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the local GGUF was loaded although ASSISTANT_MODELS__LLM_URL is set")

    monkeypatch.setattr(llama_cpp.Llama, "__init__", no_local_model)
    monkeypatch.setenv("ASSISTANT_MODELS__LLM_URL", f"http://127.0.0.1:{port}/v1")
    assistant = Assistant(Settings())
    report = assistant.ensure_seeded()
    assert report is not None and len(report.added) == 2 and not report.failed
    assert not COMPLETIONS.search(processes.log("llm-server"))

    started = time.perf_counter()
    answer = assistant.ask("When were the sanctions lifted?")
    seconds = time.perf_counter() - started

    assert not answer.refused and answer.mode == "generated", answer
    assert "July 2016" in answer.text and "[1]" in answer.text
    assert "July 2016" in answer.draft  # the model's own words, kept by the check
    cited = [c for c in answer.citations if c.name == SANCTIONS_SEED]
    assert cited and "lifted in July 2016" in cited[0].quote
    assert len(COMPLETIONS.findall(processes.log("llm-server"))) == 1
    print(f"answer through the LLM server in {seconds:.1f} s: {answer.timings}")
