"""Compare the bundled embedders on every evaluation set (not a test; prints a table).

    .venv/bin/python scripts/benchmark_embedders.py [--split dev] [--embedders gemma e5 minilm]
        [--precision float32] [--max-tokens 128]

For each embedder: embeds the chunks of every set's corpus (tests/eval/<set>.corpus) exactly as
ingest cuts them, times it (chunks/s) and the question embedding (ms), and ranks the chunks for
each answerable question of the split by cosine: top-1 and top-3 "right document" rates (a gold
source among the documents of the best chunks). Cross-language questions are counted apart
(question language differs from the gold document's). Tune on dev; report test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def corpus_chunks(corpus_file: Path) -> list[tuple[str, str, str]]:
    """(file name, language, chunk text) for every chunk of the set's corpus."""
    from index.chunking import chunk_document
    from index.ingest import expand_paths
    from index.loaders import load_document

    base = corpus_file.parent
    folders = [
        (base / line.strip()).resolve()
        for line in corpus_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    files, _ = expand_paths(folders)
    out = []
    for file in files:
        doc = load_document(file)
        for chunk in chunk_document(doc):
            out.append((file.name, doc.language, chunk.text))
    return out


def _cos(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)) or 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    parser.add_argument("--embedders", nargs="+", default=["gemma", "e5", "minilm"])
    parser.add_argument("--sets", nargs="+", default=None, help="set names (default: all)")
    parser.add_argument(
        "--precision", help="auto, float32 or bfloat16 (default: ASSISTANT_MODELS__EMBED_PRECISION)"
    )
    parser.add_argument("--max-tokens", type=int, help="model tokens read per chunk at most")
    args = parser.parse_args()

    from assistant.settings import Settings, quiet_environment
    from index.embedding import load_embedder
    from index.language import detect_language

    quiet_environment()
    settings = Settings()
    eval_dir = ROOT / "tests" / "eval"
    sets = args.sets or sorted(p.stem for p in eval_dir.glob("*.corpus"))
    print(f"load average at start: {_load()} (2 cores; other processes may be running)")
    header = f"{'embedder':8} {'set':12} {'chunks/s':>8} {'query ms':>8} {'top1':>6} {'top3':>6} "
    print(header + f"{'x-lang top1':>11} {'n':>4}")
    for name in args.embedders:
        embedder = load_embedder(
            name,
            settings.models.model_cache_dir,
            batch_size=settings.models.embed_batch_size,
            precision=args.precision or settings.models.embed_precision,
            max_tokens=args.max_tokens or settings.models.embed_max_tokens,
        )
        # Time the model, not the query-path cache in front of it (sets share corpora).
        embedder = getattr(embedder, "inner", embedder)
        embedder.get_query_embedding("warm up")
        for set_name in sets:
            questions = [
                json.loads(line)
                for line in (eval_dir / f"{set_name}_{args.split}.jsonl").read_text().splitlines()
                if line.strip()
            ]
            questions = [q for q in questions if q["answerable"] and not q.get("history")]
            chunks = corpus_chunks(eval_dir / f"{set_name}.corpus")
            started = time.perf_counter()
            vectors = embedder.get_text_embedding_batch([c[2] for c in chunks])
            chunk_rate = len(chunks) / (time.perf_counter() - started)
            top1 = top3 = cross = cross_hit = 0
            query_s = 0.0
            for q in questions:
                t = time.perf_counter()
                qv = embedder.get_query_embedding(q["question"])
                query_s += time.perf_counter() - t
                ranked = sorted(range(len(chunks)), key=lambda i: -_cos(qv, vectors[i]))
                docs = list(dict.fromkeys(chunks[i][0] for i in ranked))
                hit1 = any(s in docs[0] for s in q["sources"])
                top1 += hit1
                top3 += any(s in d for s in q["sources"] for d in docs[:3])
                gold_langs = {c[1] for c in chunks if any(s in c[0] for s in q["sources"])}
                if detect_language(q["question"]) not in gold_langs:
                    cross += 1
                    cross_hit += hit1
            n = max(len(questions), 1)
            x = f"{cross_hit / cross:.2f}/{cross}" if cross else "-"
            print(
                f"{name:8} {set_name:12} {chunk_rate:8.1f} {1000 * query_s / n:8.0f} "
                f"{top1 / n:6.2f} {top3 / n:6.2f} {x:>11} {len(questions):4}",
                flush=True,
            )
    print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
