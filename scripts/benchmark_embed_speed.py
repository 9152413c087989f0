"""Embedding speed of one embedder on a fixed list of real chunks (not a test; prints a table).

    .venv/bin/python scripts/benchmark_embed_speed.py [--embedder minilm] [--rounds 3]
        [--corpus tests/corpora/debian-edu tests/corpora/debian-edu-de] [--options ...] [--onnx]

The chunks are cut exactly as ingest cuts them (the project's loaders and chunker) and embedded
as ingest embeds them: in calls of `ingest.embed_batch` (256) texts through CachedEmbedding, so
the length sort and the model's batches are the real ones. Options (see OPTIONS): float32 or
bfloat16 weights, torch threads, model batch size, maximum model tokens, and "before", the
pipeline as it was (no sort across the ingest call: each batch of 32 in file order).
`--onnx` adds ONNX Runtime rows, float32 and dynamic int8: the model is exported to a temporary
folder with torch.onnx and not kept. They need `pip install onnx==1.23.2 onnxscript==0.7.2`,
which the project does not install: on this machine ONNX Runtime was slower than PyTorch in
bfloat16 (README, "Large libraries"), so the assistant has no ONNX path.

Each round measures every option once, interleaved, so a load change hits all of them; the
table shows the best and the median round. On a shared machine compare the best rounds and the
CPU time per chunk (process CPU seconds of all threads), and read the load average beside them.
"truncated" is the share of chunks longer than the option's maximum model tokens (their ends
are not embedded); "cos" is the mean and lowest cosine to the float32 vectors of the same chunks.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What ingest sends the embedder per call is the ingest batch; "before" is how it reached the
# model until the cache sorted across that call: batches of 32 in file order.
INGEST_CALL = 256


@dataclass(frozen=True)
class Option:
    precision: str = "float32"
    batch: int = 32
    max_tokens: int = 512
    threads: int | None = None  # None: torch's default (the number of cores)
    sort: bool = True
    backend: str = "torch"  # or onnx, onnx-int8


OPTIONS: dict[str, Option] = {
    "before": Option(sort=False),
    "float32": Option(),
    "float32 threads=1": Option(threads=1),
    "float32 batch=16": Option(batch=16),
    "float32 batch=64": Option(batch=64),
    "float32 max=256": Option(max_tokens=256),
    "float32 max=128": Option(max_tokens=128),
    "bfloat16": Option(precision="bfloat16"),
    "bfloat16 batch=16": Option(precision="bfloat16", batch=16),
    "bfloat16 batch=64": Option(precision="bfloat16", batch=64),
    "bfloat16 max=128": Option(precision="bfloat16", max_tokens=128),
}
ONNX_OPTIONS: dict[str, Option] = {
    "onnx float32": Option(backend="onnx"),
    "onnx int8": Option(backend="onnx-int8"),
}


def _load() -> float:
    return os.getloadavg()[0]


def corpus_chunks(folders: list[Path]) -> list[str]:
    """Every chunk of the folders' documents, in ingest's file order."""
    from index.chunking import chunk_document
    from index.ingest import expand_paths
    from index.loaders import load_document

    files, _ = expand_paths(folders)
    return [c.text for f in files for c in chunk_document(load_document(f))]


class Models:
    """The embedder's models, loaded once per precision or backend and shared by the options."""

    def __init__(self, choice: str, cache_dir: Path) -> None:
        from index.embedding import resolve_embedder_path

        self.choice = choice
        self.path = resolve_embedder_path(choice, cache_dir)
        self.gemma = choice == "gemma" or "gemma" in self.path.name.lower()
        self._torch: dict[str, Any] = {}
        self._onnx: dict[str, Any] = {}
        self._work = tempfile.TemporaryDirectory(prefix="embed-speed-")

    def torch(self, precision: str) -> Any:
        from index.embedding import sentence_transformer

        if precision not in self._torch:
            self._torch[precision] = sentence_transformer(
                self.path, gemma=self.gemma, precision=precision
            )
        return self._torch[precision]

    def document_prefix(self) -> str:
        from index.embedding import GEMMA_DOCUMENT_PROMPT

        return GEMMA_DOCUMENT_PROMPT if self.gemma else ""

    def tokens(self, texts: list[str]) -> list[int]:
        tokenizer = self.torch("float32")._model.tokenizer
        prefix = self.document_prefix()
        return [len(tokenizer(prefix + t)["input_ids"]) for t in texts]

    def onnx(self, backend: str) -> Any:
        """An ONNX Runtime session of the model (exported, then quantized for onnx-int8)."""
        if backend not in self._onnx:
            import onnxruntime
            import torch

            work = Path(self._work.name)
            plain = work / "model.onnx"
            if not plain.exists():
                _export(self.torch("float32")._model, plain)
            model = plain
            if backend == "onnx-int8":
                from onnxruntime.quantization import QuantType, quantize_dynamic

                model = work / "model-int8.onnx"
                quantize_dynamic(
                    str(plain),
                    str(model),
                    weight_type=QuantType.QInt8,
                    extra_options={"DefaultTensorType": 1},  # float, where shapes are unknown
                )
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = torch.get_num_threads()
            self._onnx[backend] = onnxruntime.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
        return self._onnx[backend]


def _export(model: Any, target: Path) -> None:
    """The sentence-transformers pipeline (transformer, pooling, normalisation) as ONNX."""
    import torch

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            return self.model(features)["sentence_embedding"]

    sample = model.tokenizer(
        ["a short text", "and a somewhat longer one"], padding=True, return_tensors="pt"
    )
    batch, tokens = torch.export.Dim("batch"), torch.export.Dim("tokens")
    # The dynamo exporter: the TorchScript one fails on Gemma 3's attention masks.
    torch.onnx.export(
        Pipeline().eval(),
        (sample["input_ids"], sample["attention_mask"]),
        str(target),
        dynamo=True,
        external_data=False,
        input_names=["input_ids", "attention_mask"],
        output_names=["sentence_embedding"],
        dynamic_shapes=({0: batch, 1: tokens}, {0: batch, 1: tokens}),
    )


def embed_function(models: Models, option: Option) -> Callable[[list[str]], list[list[float]]]:
    """Embed texts the way ingest does, with this option's settings."""
    from index.embedding import CachedEmbedding, token_counter

    if option.backend != "torch":
        session = models.onnx(option.backend)
        tokenizer = models.torch("float32")._model.tokenizer
        prefix = models.document_prefix()

        def run_onnx(texts: list[str]) -> list[list[float]]:
            sizes = models.tokens(texts)
            order = sorted(range(len(texts)), key=lambda i: -sizes[i])
            out: dict[int, list[float]] = {}
            for start in range(0, len(order), option.batch):
                part = order[start : start + option.batch]
                encoded = tokenizer(
                    [prefix + texts[i] for i in part],
                    padding=True,
                    truncation=True,
                    max_length=option.max_tokens,
                    return_tensors="np",
                )
                feed = {k: encoded[k].astype("int64") for k in ("input_ids", "attention_mask")}
                rows = session.run(None, feed)[0]
                out.update(zip(part, rows.tolist(), strict=True))
            return [out[i] for i in range(len(texts))]

        return run_onnx
    inner = models.torch(option.precision)
    inner.embed_batch_size = option.batch
    inner._model.max_seq_length = option.max_tokens
    window = INGEST_CALL if option.sort else option.batch
    # A new cache each time (nothing remembered), sorting as load_embedder's does.
    cached = CachedEmbedding(inner, size=1, window=window, lengths=token_counter(inner))
    return cached.get_text_embedding_batch


def measure(models: Models, option: Option, texts: list[str]) -> tuple[float, float, Any]:
    """(chunks/s, CPU ms per chunk, vectors) for one pass over texts in ingest-sized calls."""
    import numpy as np
    import torch

    default_threads = torch.get_num_threads()
    torch.set_num_threads(option.threads or default_threads)
    try:
        embed = embed_function(models, option)
        embed(texts[:8])  # warm-up (first-call allocations)
        embed = embed_function(models, option)
        wall, cpu = time.perf_counter(), time.process_time()
        vectors: list[list[float]] = []
        for start in range(0, len(texts), INGEST_CALL):
            vectors += embed(texts[start : start + INGEST_CALL])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        torch.set_num_threads(default_threads)
    array = np.asarray(vectors, dtype=np.float64)
    array /= np.linalg.norm(array, axis=1, keepdims=True)
    return len(texts) / wall, 1000 * cpu / len(texts), array


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="minilm", help="minilm, gemma or a model folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--corpus",
        nargs="+",
        type=Path,
        default=[ROOT / "tests/corpora/debian-edu", ROOT / "tests/corpora/debian-edu-de"],
    )
    parser.add_argument("--limit", type=int, default=500, help="chunks used at most")
    parser.add_argument("--options", nargs="+", help=f"names among: {', '.join(OPTIONS)}")
    parser.add_argument("--onnx", action="store_true", help="add ONNX Runtime rows")
    args = parser.parse_args()

    from assistant.eval import machine
    from assistant.settings import Settings, quiet_environment
    from index.embedding import resolve_precision

    quiet_environment()  # as the assistant runs: offline, OpenMP threads that do not spin
    chosen = {n: OPTIONS[n] for n in args.options} if args.options else dict(OPTIONS)
    if args.onnx:
        chosen |= ONNX_OPTIONS
    texts = corpus_chunks(args.corpus)[: args.limit]
    models = Models(args.embedder, Settings().models.model_cache_dir)
    tokens = models.tokens(texts)
    print(
        f"{machine()}; {len(texts)} chunks, mean {statistics.mean(tokens):.0f} and most "
        f"{max(tokens)} model tokens; 'auto' precision here: {resolve_precision('auto')}"
    )
    reference = measure(models, Option(), texts)[2]
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in chosen}
    cosines: dict[str, tuple[float, float]] = {}
    failed: dict[str, str] = {}
    for round_ in range(args.rounds):
        for name, option in chosen.items():
            if name in failed:
                continue
            try:
                rate, cpu_ms, vectors = measure(models, option, texts)
            except Exception as exc:  # an export or quantization the model does not allow
                failed[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
                print(f"  round {round_ + 1} {name:20} failed: {failed[name]}")
                continue
            runs[name].append((rate, cpu_ms, _load()))
            cos = (vectors * reference).sum(axis=1)
            cosines[name] = (float(cos.mean()), float(cos.min()))
            print(f"  round {round_ + 1} {name:20} {rate:6.1f} chunks/s  load {_load():.1f}")
            sys.stdout.flush()
    print(
        f"\nembedder {args.embedder}; best and median of {args.rounds} rounds; "
        "load = 1-minute load average at each round (2 cores)"
    )
    print("| option | chunks/s best | median | CPU ms/chunk | truncated | cos mean / min | load |")
    print("|---|---|---|---|---|---|---|")
    for name, option in chosen.items():
        if name in failed:
            print(f"| {name} | failed: {failed[name]} | | | | | |")
            continue
        rates = [r for r, _, _ in runs[name]]
        cpu = min(c for _, c, _ in runs[name])
        loads = [lo for _, _, lo in runs[name]]
        cut = sum(t > option.max_tokens for t in tokens) / len(tokens)
        mean, low = cosines[name]
        print(
            f"| {name} | {max(rates):.1f} | {statistics.median(rates):.1f} | {cpu:.0f} | "
            f"{cut:.0%} | {mean:.4f} / {low:.4f} | {min(loads):.1f}–{max(loads):.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
