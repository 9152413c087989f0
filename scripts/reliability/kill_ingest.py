"""SIGKILL `assistant ingest` at random moments; the index must stay consistent and recover.

For each of N rounds: start `assistant ingest CORPUS…` on an empty data folder, kill it with
SIGKILL after a random delay within the reference run's duration, then check that

  * `assistant sources` works and lists only complete documents: each listed document has
    exactly as many current chunks in the store as its manifest record says;
  * a second `assistant ingest` (not killed) ends with exactly the reference documents and
    chunk count, and no chunk left over from the killed run (orphans swept).

Usage:
    .venv/bin/python scripts/reliability/kill_ingest.py --rounds 20
    .venv/bin/python scripts/reliability/kill_ingest.py --rounds 5 --seed 7 seeds/ tests/corpora

Prints one line per round and a summary; exits 1 if any round failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT = [sys.executable, "-m", "assistant.cli"]
DEFAULT_CORPUS = [ROOT / "seeds", ROOT / "tests" / "corpora", ROOT / "tests" / "injection" / "docs"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}  # main() adds the embedder choice


@dataclass(frozen=True)
class State:
    """What the store holds, read through the public API."""

    documents: dict[str, int]  # file name -> chunks in its manifest record
    current_chunks: dict[str, int]  # file name -> chunks of its current version in the store
    all_chunks: int  # every chunk in the store, committed or not (orphans included)


def run(args: list[str], data: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "ASSISTANT_DATA_DIR": str(data)}
    done = subprocess.run(
        [*ASSISTANT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600
    )
    if check and done.returncode not in (0,):
        raise RuntimeError(f"assistant {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def read_state(data: Path) -> State:
    """The store's documents and chunks, in a fresh process (as a user would see them)."""
    code = f"""
import json
from assistant.settings import load_settings
from index.store import ChunkStore
store = ChunkStore(load_settings(data_dir={str(data)!r}))
docs = store.documents()
current = {{d.name: sum(1 for _ in store.iter_nodes({{"doc_id": d.doc_id}})) for d in docs}}
print(json.dumps({{
    "documents": {{d.name: d.chunks for d in docs}},
    "current": current,
    "all": sum(1 for _ in store.iter_nodes(committed=False)),
}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True
    ).stdout
    got = json.loads(out.strip().splitlines()[-1])
    return State(got["documents"], got["current"], got["all"])


def problems(state: State, reference: State | None = None) -> list[str]:
    out = [
        f"{name}: manifest says {chunks} chunks, store has {state.current_chunks.get(name)}"
        for name, chunks in state.documents.items()
        if state.current_chunks.get(name) != chunks
    ]
    if reference is not None:
        if state.documents != reference.documents:
            missing = sorted(set(reference.documents) - set(state.documents))
            out.append(f"documents differ from the reference (missing: {missing[:5]})")
        if state.all_chunks != reference.all_chunks:
            out.append(f"{state.all_chunks} chunks in the store, reference {reference.all_chunks}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="*", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20240131)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folders")
    parser.add_argument("--batch", type=int, default=16, help="chunks embedded/written per round")
    parser.add_argument(
        "--after",
        type=float,
        default=0.0,
        help="kill no earlier than this many seconds (skip the model loading at the start)",
    )
    parser.add_argument(
        "--embedder",
        default="minilm",
        help="embedder for every run (default minilm, the fastest: consistency does not depend "
        "on it, and a short run means more kills land while documents are being written)",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in a pipe
    rng = random.Random(args.seed)
    ENV["ASSISTANT_MODELS__EMBEDDER"] = args.embedder
    # Small rounds: documents are committed a few at a time through the run, so a kill can land
    # between any two commits (with the default 2048-chunk rounds a small corpus is one commit).
    ENV["ASSISTANT_INGEST__EMBED_BATCH"] = ENV["ASSISTANT_INGEST__WRITE_BATCH"] = str(args.batch)
    corpus = [str(p) for p in args.corpus]
    work = Path(tempfile.mkdtemp(prefix="kill-ingest-"))
    try:
        started = time.perf_counter()
        run(["ingest", *corpus], work / "reference", check=False)
        duration = time.perf_counter() - started
        reference = read_state(work / "reference")
        if problems(reference) or not reference.documents:
            print(f"reference run is not consistent: {problems(reference)}")
            return 1
        print(
            f"reference: {len(reference.documents)} documents, {reference.all_chunks} chunks, "
            f"ingest {duration:.1f} s (killing within that window)"
        )
        failures = mid_write = 0
        for n in range(1, args.rounds + 1):
            data = work / f"round-{n}"
            delay = rng.uniform(min(args.after, duration), duration)
            env = {**ENV, "ASSISTANT_DATA_DIR": str(data)}
            proc = subprocess.Popen(
                [*ASSISTANT, "ingest", *corpus],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(delay)
            finished_first = proc.poll() is not None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            listing = run(["sources", "--json"], data, check=False) if data.exists() else None
            after_kill = read_state(data) if data.exists() else State({}, {}, 0)
            found = problems(after_kill)
            mid_write += 0 < len(after_kill.documents) < len(reference.documents)
            if listing is not None and listing.returncode != 0:
                found.append(f"sources failed: {listing.stderr.strip()[-200:]}")
            run(["ingest", *corpus], data, check=False)  # exit 1 is fine: some files fail
            recovered = read_state(data)
            found += problems(recovered, reference)
            status = "ok" if not found else "FAILED: " + "; ".join(found)
            failures += bool(found)
            note = " (ingest had already finished)" if finished_first else ""
            print(
                f"round {n:2d}: killed at {delay:5.1f} s{note}, {len(after_kill.documents):3d} "
                f"complete documents, {after_kill.all_chunks:5d} chunks stored -> re-ingest "
                f"{len(recovered.documents)} documents, {recovered.all_chunks} chunks: {status}"
            )
            if not args.keep:
                shutil.rmtree(data, ignore_errors=True)
        print(
            f"{args.rounds - failures}/{args.rounds} rounds consistent and recovered "
            f"({mid_write} kills landed with some documents committed and others not)"
        )
        return 1 if failures else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
