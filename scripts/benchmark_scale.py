"""Scale benchmark on real documentation (not a test): ingest, restart, retrieval and `ask`
at 10,000 and 100,000 chunks.

    .venv/bin/python scripts/benchmark_scale.py [--chunks 10000,100000] [--embedder minilm]
        [--work ~/.cache/assistant-scale-bench] [--asks 10]

The corpus is Debian's packaged documentation: the HTML manuals of Python 3.11, PostgreSQL 15,
Git, the Apache HTTP server, Node.js, SQLite and the Debian Reference (`apt-get download`, then
`dpkg-deb -x` into the work folder; one copy of each page: Python's reST sources and Git's .txt
twins are left out). Pages are taken from each manual in turn until the index holds the target
number of chunks.

For each size, in ascending order and on top of the previous one (the index in the work folder
persists, so a run can be stopped and resumed, and a size already reached is not ingested again):
  1. ingest, in its own process: chunks/s, MB/s, that process's peak RSS;
  2. store size on disk;
  3. a fresh process: seconds from its start to the first answer (imports, models, store),
     then retrieval p50/p95 (query embedding, dense, BM25, fused) over the probe questions,
     warm `ask` p50/p95 and first streamed token p50, `sources` and `remove` of one document
     (then put back), and that process's peak RSS.
`--embedder hashed` builds the index with vectors from hashed words instead of a model: for the
store's own costs at sizes a model needs hours to embed on two cores (its answers mean nothing).
Figures go to results.json in the work folder and are printed as a table. The probe questions
below only time the system: they are about the documentation, but no answer is checked.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PACKAGES = (  # (package, folder of its pages inside the package, page pattern)
    ("python3.11-doc", "usr/share/doc/python3.11/html", "**/*.html"),
    ("postgresql-doc-15", "usr/share/doc/postgresql-doc-15/html", "*.html"),
    ("git-doc", "usr/share/doc/git-doc", "*.html"),
    ("apache2-doc", "usr/share/doc/apache2-doc/manual", "**/*.html"),
    ("nodejs-doc", "usr/share/doc/nodejs/api", "*.html"),
    ("sqlite3-doc", "usr/share/doc/sqlite3", "*.html"),
    ("debian-reference-en", "usr/share/debian-reference", "*.en.html"),
)
# Indexes, search pages and pages that concatenate others (Node's all.html is every API page).
SKIP_PARTS = ("_sources", "_static", "genindex", "search.html", "py-modindex", "contents.html",
              "bookindex.html", "/api/all.html")  # fmt: skip
PROBES = (
    "How do I create a virtual environment?",
    "What does the walrus operator do?",
    "How can I read a file line by line?",
    "Which exception is raised when a dictionary key is missing?",
    "How do I format a date as a string?",
    "What is the global interpreter lock?",
    "How do I create an index on a table?",
    "What does VACUUM do?",
    "How are foreign keys declared?",
    "What isolation levels are supported by transactions?",
    "How do I undo the last commit?",
    "What is the difference between merge and rebase?",
    "How do I configure a remote repository?",
    "How do I set up a virtual host?",
    "What does mod_rewrite do?",
    "How do I enable TLS for a site?",
    "How do I read an environment variable in a script?",
    "How does the event loop handle timers?",
    "How do I spawn a child process?",
    "What is a stream and how do I pipe one into another?",
)


def _fetch(work: Path) -> Path:
    """Download and unpack the documentation packages once; returns the unpacked root."""
    root = work / "root"
    debs = work / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [p for p, _, _ in PACKAGES if not any(debs.glob(f"{p}_*.deb"))]
    if missing:
        print(f"downloading {' '.join(missing)} (apt-get download)", flush=True)
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    root.mkdir(parents=True, exist_ok=True)
    for deb in sorted(debs.glob("*.deb")):
        marker = root / f".unpacked-{deb.name}"
        if not marker.exists():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            marker.touch()
    return root


def _corpus(root: Path) -> list[Path]:
    """The pages, taken from each manual in turn, so that any prefix mixes all five."""
    manuals: list[list[Path]] = []
    for _, folder, pattern in PACKAGES:
        found = sorted((root / folder).glob(pattern))
        manuals.append(
            [p for p in found if p.is_file() and not any(s in str(p) for s in SKIP_PARTS)]
        )
    files: list[Path] = []
    for i in range(max(len(m) for m in manuals)):
        files += [m[i] for m in manuals if i < len(m)]
    return files


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _hashed_embedder() -> Any:
    """`--embedder hashed`: 384-d vectors from hashed words, no model. For the store's side
    only (index size, search and restart costs at sizes a model takes hours to embed on two
    cores); what it retrieves by meaning is noise, so its ask figures time the LLM, not quality.
    """
    import hashlib
    import math
    import re

    from llama_index.core.base.embeddings.base import BaseEmbedding

    class HashedWords(BaseEmbedding):
        def _vector(self, text: str) -> list[float]:
            vec = [0.0] * 384
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vec[int.from_bytes(digest, "little") % 384] += 1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            return [v / norm for v in vec]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._vector(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._vector(text)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._vector(query)

    return HashedWords(model_name="hashed-words")


def _assistant(embedder: str) -> Any:
    from assistant import Assistant

    return Assistant(embedder=_hashed_embedder() if embedder == "hashed" else None)


def _chunks(store: Any) -> int:
    return sum(d.chunks for d in store.documents())


# -- child processes -----------------------------------------------------------------------


def child_ingest(target: int, files: list[Path], embedder: str) -> dict[str, Any]:
    """Ingest files in order until the store holds target chunks."""
    assistant = _assistant(embedder)
    store = assistant.store
    _ = assistant.embedder
    before = _chunks(store)
    known = {d.source for d in store.documents()}
    todo = [f for f in files if str(f.resolve()) not in known]
    chunks_per_byte = 1 / 700  # first guess; then measured
    added = size = 0
    seconds = 0.0
    failed = 0
    while before + added < target and todo:
        want = (target - before - added) / chunks_per_byte
        batch, batch_bytes = [], 0
        while todo and (batch_bytes < want or not batch):
            batch.append(todo.pop(0))
            batch_bytes += batch[-1].stat().st_size
        report = assistant.ingest(batch)
        seconds += report.seconds
        added += report.chunks
        size += batch_bytes
        failed += len(report.failed)
        chunks_per_byte = max(added / size, 1e-6) if size else chunks_per_byte
        print(
            f"  ingested {len(batch)} files: {report.chunks} chunks in {report.seconds:.0f} s "
            f"({before + added} in the index)",
            flush=True,
        )
    return {
        "chunks_before": before,
        "chunks_added": added,
        "chunks": _chunks(store),
        "documents": len(store.documents()),
        "mb_ingested": size / 1e6,
        "ingest_s": seconds,
        "failed_files": failed,
        "chunks_per_s": added / seconds if seconds else None,
        "mb_per_s": size / 1e6 / seconds if seconds else None,
        "ingest_peak_rss_mb": _peak_rss_mb(),
    }


def child_query(asks: int, embedder_name: str) -> dict[str, Any]:
    """A fresh process: first answer, then retrieval and warm ask latencies."""
    from assistant import Answer
    from assistant.retrieval import HybridRetriever, query_bundle

    assistant = _assistant(embedder_name)
    first = assistant.ask(PROBES[0])
    print("first-answer", flush=True)  # the parent times the restart up to this line
    result: dict[str, Any] = {"first_answer_refused": first.refused}

    retriever = HybridRetriever(
        assistant.store, assistant.embedder, assistant.llm, top_k=assistant.settings.retrieval.top_k
    )
    # The embedder caches query vectors: the query is embedded once, timed on its own, and the
    # retrievers then reuse it, so "dense" and "fused" are the searches after embedding.
    embedder = getattr(assistant.embedder, "inner", assistant.embedder)
    timings: dict[str, list[float]] = {"embed": [], "dense": [], "bm25": [], "fused": []}
    for question in PROBES:
        bundle = query_bundle(question)
        started = time.perf_counter()
        embedder.get_query_embedding(question)
        timings["embed"].append(time.perf_counter() - started)
        assistant.embedder.get_query_embedding(question)  # into the cache, untimed
        for name, run in (
            ("dense", retriever.dense.retrieve),
            ("bm25", retriever.keyword.retrieve),
            ("fused", retriever.retrieve),
        ):
            started = time.perf_counter()
            run(bundle)
            timings[name].append(time.perf_counter() - started)
    timings["total"] = [e + f for e, f in zip(timings["embed"], timings["fused"], strict=True)]
    for name, values in timings.items():
        result[f"{name}_p50_ms"] = 1000 * _percentile(values, 50)
        result[f"{name}_p95_ms"] = 1000 * _percentile(values, 95)

    totals: list[float] = []
    firsts: list[float] = []
    answered: list[float] = []
    for question in PROBES[1 : asks + 1]:
        started = time.perf_counter()
        first_token = None
        for item in assistant.stream(question):
            if isinstance(item, Answer):
                if not item.refused:
                    answered.append(time.perf_counter() - started)
            elif item and first_token is None:
                first_token = time.perf_counter() - started
        total = time.perf_counter() - started
        totals.append(total)
        firsts.append(first_token if first_token is not None else total)
        print(f"  ask {total:5.2f} s, first token {firsts[-1]:5.2f} s: {question}", flush=True)
    # The CLI's other commands at this size: list, remove one document, put it back.
    started = time.perf_counter()
    docs = assistant.sources()
    result["sources_s"] = time.perf_counter() - started
    victim = min(docs, key=lambda d: (d.chunks, d.source))
    started = time.perf_counter()
    assistant.remove(victim.doc_id)
    result["remove_s"] = time.perf_counter() - started
    gone = {n.node.metadata["doc_id"] for n in retriever.retrieve(query_bundle(victim.title or ""))}
    result["removed_not_retrieved"] = victim.doc_id not in gone
    assistant.ingest([victim.source])
    result.update(
        ask_p50_s=_percentile(totals, 50),
        ask_p95_s=_percentile(totals, 95),
        answered_p50_s=_percentile(answered, 50) if answered else None,
        first_token_p50_s=_percentile(firsts, 50),
        asks=len(totals),
        answered=len(answered),
        query_peak_rss_mb=_peak_rss_mb(),
    )
    return result


# -- the parent ------------------------------------------------------------------------------


def _run_child(args: list[str], env: dict[str, str]) -> tuple[dict[str, Any], float | None]:
    """Run this script as a child; returns its JSON result and when it printed first-answer."""
    started = time.perf_counter()
    first_answer = None
    with subprocess.Popen(
        [sys.executable, __file__, *args], env=env, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        result: dict[str, Any] = {}
        for line in child.stdout:
            if line.strip() == "first-answer":
                first_answer = time.perf_counter() - started
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
            else:
                print(line, end="", flush=True)
    if child.returncode:
        raise SystemExit(f"child {' '.join(args)} failed with exit code {child.returncode}")
    return result, first_answer


def _table(results: dict[str, dict[str, Any]]) -> str:
    rows = [
        ("chunks in the index", "chunks", "{:,.0f}"),
        ("documents", "documents", "{:,.0f}"),
        ("ingest chunks/s (this step)", "chunks_per_s", "{:.1f}"),
        ("ingest MB/s (this step)", "mb_per_s", "{:.3f}"),
        ("ingest peak RSS, MB", "ingest_peak_rss_mb", "{:.0f}"),
        ("store on disk, MB", "store_mb", "{:.0f}"),
        ("restart to first answer, s", "restart_to_first_answer_s", "{:.1f}"),
        ("query embedding p50 / p95, ms", ("embed_p50_ms", "embed_p95_ms"), "{:.0f} / {:.0f}"),
        ("dense search p50 / p95, ms", ("dense_p50_ms", "dense_p95_ms"), "{:.0f} / {:.0f}"),
        ("BM25 search p50 / p95, ms", ("bm25_p50_ms", "bm25_p95_ms"), "{:.0f} / {:.0f}"),
        ("fused search p50 / p95, ms", ("fused_p50_ms", "fused_p95_ms"), "{:.0f} / {:.0f}"),
        (
            "retrieval incl. embedding p50 / p95, ms",
            ("total_p50_ms", "total_p95_ms"),
            "{:.0f} / {:.0f}",
        ),  # fmt: skip
        ("warm ask p50 / p95, s", ("ask_p50_s", "ask_p95_s"), "{:.2f} / {:.2f}"),
        ("warm ask p50, answered only, s", "answered_p50_s", "{:.2f}"),
        ("asks answered (others refused)", ("answered", "asks"), "{} of {}"),
        ("first token p50, s", "first_token_p50_s", "{:.2f}"),
        ("ask/query peak RSS, MB", "query_peak_rss_mb", "{:.0f}"),
        ("`sources` (list every document), s", "sources_s", "{:.2f}"),
        ("`remove` one document, s", "remove_s", "{:.2f}"),
        ("removed document kept out of results", "removed_not_retrieved", "{}"),
    ]
    sizes = sorted(results, key=int)
    lines = ["| | " + " | ".join(f"{int(s):,} chunks" for s in sizes) + " |"]
    lines.append("|---" * (len(sizes) + 1) + "|")
    for label, keys, fmt in rows:
        cells = []
        for size in sizes:
            r = results[size]
            values = [r.get(k) for k in (keys if isinstance(keys, tuple) else (keys,))]
            cells.append("–" if None in values else fmt.format(*values))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", default="10000,100000", help="sizes, ascending (10000,100000)")
    parser.add_argument(
        "--embedder",
        default="minilm",
        help="minilm, e5, gemma, a model folder, or 'hashed' (no model: store-side costs only)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path.home() / ".cache" / "assistant-scale-bench",
        help="folder for the packages, the index and results.json (outside the repository)",
    )
    parser.add_argument("--asks", type=int, default=10, help="warm asks timed per size")
    parser.add_argument("--redo", action="store_true", help="measure sizes already measured")
    parser.add_argument("--child", choices=("ingest", "query"), help=argparse.SUPPRESS)
    parser.add_argument("--target", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    work = args.work.expanduser().resolve()
    data = work / f"index-{Path(args.embedder).name}"
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_MODELS__EMBEDDER": "minilm" if args.embedder == "hashed" else args.embedder,
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("ASSISTANT_CHROMA_URL", None)
    if args.child:
        os.environ.update(env)
        if args.child == "ingest":
            result = child_ingest(args.target, _corpus(work / "root"), args.embedder)
        else:
            result = child_query(args.asks, args.embedder)
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    from assistant.eval import machine

    sizes = sorted(int(s) for s in args.chunks.split(","))
    results_path = work / "results.json"
    all_results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results = all_results.setdefault(args.embedder, {})
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    files = _corpus(_fetch(work))
    print(f"corpus: {len(files)} pages, {sum(f.stat().st_size for f in files) / 1e6:.0f} MB")
    for size in sizes:
        key = str(size)
        if key in results and not args.redo:
            print(f"{size:,} chunks: measured before (--redo to measure again)")
            continue
        print(f"== {size:,} chunks", flush=True)
        common = ["--work", str(work), "--embedder", args.embedder]
        ingested, _ = _run_child([*common, "--child", "ingest", "--target", str(size)], env)
        if ingested["chunks"] < size:
            print(f"the corpus gives only {ingested['chunks']:,} chunks; stopping")
            results[key] = ingested
            break
        store_mb = _du(data) / 1e6
        queried, first_answer = _run_child(
            [*common, "--child", "query", "--asks", str(args.asks)], env
        )
        if not ingested["chunks_added"] and key in results:  # --redo: keep the ingest figures
            kept = ("chunks_added", "mb_ingested", "ingest_s", "chunks_per_s", "mb_per_s",
                    "ingest_peak_rss_mb")  # fmt: skip
            ingested |= {k: results[key][k] for k in kept if k in results[key]}
        results[key] = {
            **ingested,
            "store_mb": store_mb,
            "restart_to_first_answer_s": first_answer,
            **queried,
            "measured": time.strftime("%Y-%m-%d %H:%M"),
            "load_average": os.getloadavg()[0],
        }
        results_path.write_text(json.dumps(all_results, indent=2))
        print(_table(results), flush=True)
    print(f"\nembedder {args.embedder}; {machine()}")
    print(_table(results))
    print(f"index folder: {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
