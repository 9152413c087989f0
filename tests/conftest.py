"""Shared fakes (a queued-reply LLM, a deterministic embedder, an in-memory Chroma client) and
real server processes on loopback ports (`processes`, `chroma_server`)."""

from __future__ import annotations

import hashlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from assistant.settings import Settings, quiet_environment

quiet_environment()

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SANCTIONS_SEED = "004_fc025db9153bd9ca.txt"
SWEDISH_SEED = "000_de2dd51f3474cc85.txt"


class QueuedLLM(CustomLLM):
    """Replies with queued strings in order and records every prompt it was given."""

    _replies: list[str] = PrivateAttr(default_factory=list)
    _prompts: list[str] = PrivateAttr(default_factory=list)

    def __init__(self, replies: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._replies = list(replies)
        self._prompts = []

    @property
    def prompts(self) -> list[str]:
        return self._prompts

    def queue(self, *replies: str) -> None:
        self._replies.extend(replies)

    def assert_all_used(self) -> None:
        """Fail if a queued reply was never asked for: the code took a path the test did not
        mean to test (the fake_llm fixture calls this when the test ends)."""
        if self._replies:
            raise AssertionError(
                f"QueuedLLM: {len(self._replies)} queued replies were never used: {self._replies!r}"
            )

    def discard_unused(self) -> list[str]:
        """Drop and return the replies not asked for, where asking the model is optional."""
        unused, self._replies = self._replies, []
        return unused

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="queued-fake", context_window=4096, num_output=128)

    def _next(self, prompt: str) -> str:
        self._prompts.append(prompt)
        if not self._replies:
            raise AssertionError(f"QueuedLLM got an unexpected prompt:\n{prompt}")
        return self._replies.pop(0)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._next(prompt))

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        text = self._next(prompt)

        def gen() -> CompletionResponseGen:
            sofar = ""
            for piece in re.findall(r"\S+\s*", text):
                sofar += piece
                yield CompletionResponse(text=sofar, delta=piece)

        return gen()

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        reply = self._next(_render(messages))
        return ChatResponse(message=ChatMessage(role="assistant", content=reply))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        text = self._next(_render(messages))

        def gen() -> ChatResponseGen:
            sofar = ""
            for piece in re.findall(r"\S+\s*", text):
                sofar += piece
                yield ChatResponse(
                    message=ChatMessage(role="assistant", content=sofar), delta=piece
                )

        return gen()


def _render(messages: Sequence[ChatMessage]) -> str:
    return "\n".join(f"{m.role.value}: {m.content}" for m in messages)


class HashEmbedding(BaseEmbedding):
    """Deterministic hashed bag-of-words embedding: shared words → similar vectors."""

    dim: int = 256

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in re.findall(r"\w+", text.lower()):
            # A five-letter prefix: "injured" and "injuring" are near, as a real model has them.
            digest = hashlib.md5(word[:5].encode()).digest()
            vec[int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every test's data directory at its own tmp folder."""
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.delenv("ASSISTANT_CHROMA_URL", raising=False)
    return data


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def fake_llm() -> Iterator[QueuedLLM]:
    llm = QueuedLLM()
    yield llm
    llm.assert_all_used()


@pytest.fixture
def fake_embedder() -> HashEmbedding:
    return HashEmbedding()


@pytest.fixture
def chroma_client() -> Any:
    import chromadb

    # EphemeralClient instances share one in-process system; a unique collection name per test
    # keeps them apart.
    client = chromadb.EphemeralClient(
        settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=True)
    )
    yield client
    client.reset()


@pytest.fixture
def unique_collection() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


# -- real server processes ---------------------------------------------------------------------


# Every child: no model downloads, no telemetry, unbuffered output so logs can be polled.
SERVER_ENV = {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PYTHONUNBUFFERED": "1"}


class Processes:
    """Starts real processes for one test, each logging to its own file; stops them all after."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self._started: list[tuple[subprocess.Popen[bytes], Any]] = []

    @staticmethod
    def free_port() -> int:
        """A TCP port on 127.0.0.1 that nothing listens on right now."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    @staticmethod
    def tool(name: str) -> str:
        """A console script installed beside this Python (chroma, assistant)."""
        tool = Path(sys.executable).parent / name
        if not tool.exists():
            pytest.fail(f"{tool} is missing: run scripts/setup.sh")
        return str(tool)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        ready: str,
        timeout: float,
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start argv and wait until the URL `ready` answers 200 (polled; fails on exit)."""
        log = self.log_path(name).open("wb")
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**self.env(), **(env or {})},
        )  # fmt: skip
        self._started.append((proc, log))
        deadline = started + timeout
        while True:
            try:
                with urllib.request.urlopen(ready, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.perf_counter() > deadline:
                pytest.fail(
                    f"{name} did not answer {ready} within {timeout:.0f} s "
                    f"(exit code {proc.poll()}):\n{self.log(name)[-3000:]}"
                )
            time.sleep(0.1)
        print(f"{name} up in {time.perf_counter() - started:.1f} s")
        return proc

    @staticmethod
    def env() -> dict[str, str]:
        """The environment every child gets: this one's, plus SERVER_ENV."""
        return {**os.environ, **SERVER_ENV}

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def log(self, name: str) -> str:
        """What the process named `name` has printed so far (stdout and stderr)."""
        return self.log_path(name).read_text(encoding="utf-8", errors="replace")

    def stop_all(self) -> None:
        for proc, log in reversed(self._started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            log.close()
        self._started.clear()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Processes(logs)
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def chroma_server(processes: Processes, tmp_path: Path) -> str:
    """A `chroma run` server on a free loopback port, stopped afterwards; returns its URL."""
    port = processes.free_port()
    url = f"http://127.0.0.1:{port}"
    processes.start(
        "chroma",
        [processes.tool("chroma"), "run", "--path", str(tmp_path / "chroma-server"),
         "--host", "127.0.0.1", "--port", str(port)],
        ready=f"{url}/api/v2/heartbeat", timeout=60,
    )  # fmt: skip
    return url
