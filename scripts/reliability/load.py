"""Load test: concurrent gradio_client users against `assistant serve` on a Chroma server.

Starts `chroma run` and `assistant serve` on loopback ports (data in a temporary folder; the
seeds are indexed into the Chroma server first), then runs CLIENTS threads, each with its own
gradio_client Client, asking QUESTIONS questions in turn (taken round-robin from an evaluation
set's questions). Every question must come back as an answer or a refusal: an error message,
an exception or a timeout counts as an error. Prints latency percentiles and exits 1 on any error.

Usage:
    .venv/bin/python scripts/reliability/load.py                      # 8 clients x 10 questions
    .venv/bin/python scripts/reliability/load.py --clients 2 --questions 3
    .venv/bin/python scripts/reliability/load.py --url http://127.0.0.1:7860/   # a running serve
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "tests" / "eval" / "seeds_dev.jsonl"


@dataclass(frozen=True)
class Result:
    client: int
    question: str
    seconds: float
    error: str | None  # None: an answer or a refusal came back


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


@contextmanager
def servers(work: Path, log: Path) -> Iterator[str]:
    """A Chroma server and `assistant serve` using it; yields the page URL."""
    chroma_port, ui_port = free_port(), free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(work / "data"),
        "ASSISTANT_CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    bin_dir = Path(sys.executable).parent
    procs: list[subprocess.Popen[bytes]] = []
    with log.open("ab") as out:
        try:
            chroma = subprocess.Popen(
                [str(bin_dir / "chroma"), "run", "--path", str(work / "chroma"),
                 "--host", "127.0.0.1", "--port", str(chroma_port)],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
            procs.append(chroma)
            wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", 120, chroma)
            subprocess.run(
                [sys.executable, "-m", "assistant.cli", "ingest", str(ROOT / "seeds")],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=True,
            )  # fmt: skip
            serve = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "--port", str(ui_port),
                 "--no-seed"],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
            procs.append(serve)
            url = f"http://127.0.0.1:{ui_port}/"
            wait_for(url + "config", 600, serve)
            yield url
        finally:
            for proc in reversed(procs):
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def ask_all(url: str, client_no: int, questions: list[str], timeout: float) -> list[Result]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    results = []
    for question in questions:
        started = time.perf_counter()
        error = None
        try:
            _, messages, _ = client.submit(question, api_name="/ask").result(timeout=timeout)
            last = messages[-1]
            content = last["content"]
            html = content if isinstance(content, str) else "".join(p["text"] for p in content)
            if last["role"] != "assistant" or 'class="answer error' in html:
                error = f"error shown: {html[:200]}"
        except Exception as exc:  # a timeout, a full queue, a broken connection
            error = f"{type(exc).__name__}: {exc}"
        results.append(Result(client_no, question, time.perf_counter() - started, error))
    return results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=10, help="questions per client")
    parser.add_argument("--url", help="use a running `assistant serve` instead of starting one")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per answer")
    parser.add_argument("--questions-file", type=Path, default=QUESTIONS)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in a pipe

    pool = [
        json.loads(line)["question"]
        for line in args.questions_file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    work = Path(tempfile.mkdtemp(prefix="load-"))
    log = work / "servers.log"
    results: list[Result] = []
    with servers(work, log) if args.url is None else _given(args.url) as url:
        jobs = [
            [pool[(c * args.questions + i) % len(pool)] for i in range(args.questions)]
            for c in range(args.clients)
        ]
        lock = threading.Lock()

        def worker(n: int) -> None:
            got = ask_all(url, n, jobs[n], args.timeout)
            with lock:
                results.extend(got)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started

    errors = [r for r in results if r.error]
    seconds = [r.seconds for r in results]
    print(
        f"{args.clients} clients x {args.questions} questions = {len(results)} answers in "
        f"{wall:.0f} s ({len(results) / wall * 60:.1f} per minute); errors: {len(errors)}"
    )
    if seconds:
        print(
            f"latency per answer (queueing included): p50 {statistics.median(seconds):.1f} s, "
            f"p95 {percentile(seconds, 0.95):.1f} s, max {max(seconds):.1f} s"
        )
    for r in errors[:10]:
        print(f"  client {r.client}: {r.question!r}: {r.error}")
    if args.url is None:
        print(f"server logs: {log}")
    return 1 if errors or len(results) != args.clients * args.questions else 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    sys.exit(main())
