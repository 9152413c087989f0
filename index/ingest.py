"""The indexing pipeline end to end: load → clean → chunk → embed → store, incrementally.

Streaming: a reader thread loads, cleans and chunks the next files (up to read_ahead_chunks
ahead) while the calling thread embeds (the embedder releases the GIL while it computes), so
parsing costs little wall time.
Chunks are embedded in large batches across documents and written in rounds of about
`write_batch` chunks; every document of a round becomes visible at once when its manifest
record is written (ChunkStore.commit), and a failure drops only the uncommitted round.
The writes stay on the embedding thread: chromadb's upsert holds the GIL while it runs (a Python
thread ran at 6% of its speed beside it), so a writer thread cannot overlap it with the embedder's
Python; one was 12% slower at the median of 9 paired runs (README, Large libraries).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode, TextNode

from index.chunking import chunk_document
from index.config import IndexSettings
from index.embedding import return_freed_memory
from index.errors import AssistantError, DocumentError
from index.loaders import (
    LOADER_VERSION,
    SUPPORTED_SUFFIXES,
    Document,
    document_id,
    file_sha256,
    load_document,
)
from index.nodes import nodes_for_document
from index.store import ChunkStore, StoredDocument

__all__ = ["IngestProgress", "IngestReport", "Progress", "expand_paths", "ingest"]


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """Where an ingest run is: reported after each file and each embedded batch."""

    files_done: int
    files_total: int
    chunks: int  # chunks embedded so far
    bytes_done: int  # of the files' sizes, counting a file in progress by its share embedded
    bytes_total: int
    current: str  # name of the file being embedded, "" between files and at the end
    elapsed: float  # seconds since the run started

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.elapsed if self.elapsed > 0 else 0.0


Progress = Callable[[IngestProgress], None]


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one ingest run did, file by file."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = field(default=())  # (path, reason)
    chunks: int = 0
    seconds: float = 0.0

    @property
    def indexed(self) -> tuple[str, ...]:
        return self.added + self.updated

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return f"{', '.join(parts)}; {self.chunks} chunks in {self.seconds:.1f} s"


_DANGLING = "symlink points to nothing: fix or remove the link"


def work_key(file_hash: str, settings: IndexSettings) -> str:
    """What decides a file's chunks: its bytes, the loader's version and the chunking settings.

    Stored as the document's file_hash: a file is skipped as unchanged only when all three are.
    """
    chunking = settings.chunking
    pipeline = (
        f"loader{LOADER_VERSION}:{chunking.chunk_tokens}:{chunking.overlap_tokens}:"
        f"{chunking.encoding}"
    )
    return f"{file_hash}|{pipeline}"


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest (folders searched recursively) and the paths that cannot be used.

    Symlinked folders are followed once; a link back into a folder already being searched (a
    loop) and a link to nothing are reported, never skipped without a word.
    """
    files: list[Path] = []
    failed: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found, problems = _search_folder(path)
            failed.extend(problems)
            if not found and not problems:
                failed.append((str(path), "folder has no txt, md, html or pdf files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.is_symlink():
            failed.append((str(path), _DANGLING))
        else:
            failed.append((str(path), "no such file or folder: check the path"))
    return list(dict.fromkeys(p.resolve() for p in files)), failed


def _search_folder(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    # Path.rglob (Python 3.11) neither follows symlinked folders nor says it skipped them, so the
    # walk is by hand (os.walk with followlinks=True loops forever on a link back up): depth
    # first, hidden entries skipped, and no folder entered again below itself.
    found: list[Path] = []
    problems: list[tuple[str, str]] = []
    stack: list[tuple[Path, frozenset[Path]]] = [(root, frozenset())]
    while stack:
        folder, ancestors = stack.pop()
        real = folder.resolve()
        if real in ancestors:
            problems.append((str(folder), f"symlink loop back to {real}: skipped; remove the link"))
            continue
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            problems.append((str(folder), f"folder cannot be read ({exc.strerror}): check it"))
            continue
        for entry in reversed(entries):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                stack.append((entry, ancestors | {real}))
            elif entry.is_file():
                if entry.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(entry)
            elif entry.is_symlink():
                problems.append((str(entry), _DANGLING))
    return sorted(found), problems


@dataclass(slots=True)
class _Prepared:
    """One file after the reader thread: a document to embed, or why there is nothing to do."""

    path: Path
    size: int
    doc: Document | None = None
    nodes: list[TextNode] = field(default_factory=list)
    previous: StoredDocument | None = None
    unchanged: bool = False
    failure: str | None = None
    fatal: BaseException | None = None  # a setting or model problem: stops the run


def _prepare(path: Path, known: dict[str, StoredDocument], settings: IndexSettings) -> _Prepared:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    item = _Prepared(path=path, size=size)
    try:
        item.previous = known.get(document_id(path))
        key = work_key(file_sha256(path), settings)
        if item.previous and item.previous.file_hash in {key, key.split("|", 1)[0]}:
            # The same file through the same loader and chunking (an index written before
            # the key held the pipeline keeps its plain file hash and is not re-embedded).
            item.unchanged = True
            return item
        item.doc = replace(load_document(path, settings.ingest), file_hash=key)
        chunks = chunk_document(
            item.doc,
            chunk_tokens=settings.chunking.chunk_tokens,
            overlap_tokens=settings.chunking.overlap_tokens,
            encoding=settings.chunking.encoding,
        )
        item.nodes = nodes_for_document(item.doc, chunks)
    except DocumentError as exc:
        item.failure = exc.reason
    except OSError as exc:
        item.failure = f"cannot read the file ({exc.strerror or exc})"
    except AssistantError as exc:
        item.fatal = exc
    except Exception as exc:  # a parser bug on one odd file must not stop the batch
        item.failure = (
            f"could not be indexed ({type(exc).__name__}: {exc}); convert it to plain text or "
            "report the file"
        )
    return item


def _read_ahead(
    files: list[Path], known: dict[str, StoredDocument], settings: IndexSettings
) -> Iterator[_Prepared]:
    """Prepared files in order, read by a thread that keeps up to read_ahead_chunks ready."""
    limit = settings.ingest.read_ahead_chunks
    ready: deque[_Prepared] = deque()
    held = 0  # chunks in `ready`
    finished = stopped = False
    changed = threading.Condition()

    def room() -> bool:
        # One file is always let through, however many chunks it has.
        return stopped or not ready or held < limit

    def read() -> None:
        nonlocal held, finished
        try:
            for path in files:
                item = _prepare(path, known, settings)
                with changed:
                    changed.wait_for(room)
                    if stopped:
                        return
                    ready.append(item)
                    held += len(item.nodes)
                    changed.notify_all()
        finally:
            with changed:
                finished = True
                changed.notify_all()

    reader = threading.Thread(target=read, name="ingest-reader", daemon=True)
    reader.start()
    try:
        while True:
            with changed:
                changed.wait_for(lambda: ready or finished)
                if not ready:
                    return
                item = ready.popleft()
                held -= len(item.nodes)
                changed.notify_all()
            yield item
    finally:
        with changed:
            stopped = True
            changed.notify_all()
        reader.join()


class _Run:
    """The calling thread's side: embed, write and commit rounds; count and report."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: BaseEmbedding,
        settings: IndexSettings,
        progress: Progress | None,
        files_total: int,
        bytes_total: int,
    ) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.progress = progress
        self.files_total, self.bytes_total = files_total, bytes_total
        self.started = time.perf_counter()
        self.files_done = 0
        self.bytes_done = 0
        self.chunks = 0
        self.added: list[str] = []
        self.updated: list[str] = []
        self._last: tuple[int, int, str] | None = None

    def report(self, current: str = "", partial_bytes: int = 0) -> None:
        key = (self.files_done, self.chunks, current)
        if self.progress is None or key == self._last:
            return
        self._last = key
        self.progress(
            IngestProgress(
                files_done=self.files_done,
                files_total=self.files_total,
                chunks=self.chunks,
                bytes_done=self.bytes_done + partial_bytes,
                bytes_total=self.bytes_total,
                current=current,
                elapsed=time.perf_counter() - self.started,
            )
        )

    def finish_file(self, item: _Prepared) -> None:
        self.files_done += 1
        self.bytes_done += item.size

    def flush(self, round_: list[_Prepared]) -> None:
        """Embed, write and commit one round of documents; on failure, drop what it wrote."""
        if not round_:
            return
        docs = [item.doc for item in round_ if item.doc is not None]
        batch_size = self.settings.ingest.embed_batch
        write_size = max(batch_size, self.settings.store_batch)
        owner = [(item, node) for item in round_ for node in item.nodes]
        round_chunks = len(owner)
        round_bytes = sum(item.size for item in round_)
        self.store.begin(docs)
        try:
            embedded: list[TextNode] = []
            for start in range(0, round_chunks, batch_size):
                batch = owner[start : start + batch_size]
                self.report(batch[0][0].path.name, round_bytes * start // round_chunks)
                texts = [node.get_content(metadata_mode=MetadataMode.NONE) for _, node in batch]
                vectors = self.embedder.get_text_embedding_batch(texts)
                if self.settings.ingest.trim_memory:
                    return_freed_memory()
                for (_, node), vector in zip(batch, vectors, strict=True):
                    node.embedding = vector
                    embedded.append(node)
                self.chunks += len(batch)
                if len(embedded) >= write_size:
                    self._write(embedded)
                    embedded = []
            self._write(embedded)
            self.store.commit([(item.doc, len(item.nodes)) for item in round_ if item.doc])
        except BaseException:
            self.store.discard([doc.doc_id for doc in docs])
            raise
        for item in round_:
            self.finish_file(item)
            (self.updated if item.previous else self.added).append(str(item.path))
            item.nodes = []  # the round is stored: let its text go
        self.report()

    def _write(self, nodes: list[TextNode]) -> None:
        self.store.write(nodes)
        for node in nodes:
            node.embedding = None  # written: a float list per chunk is the biggest thing held


def ingest(
    paths: Iterable[str | Path],
    *,
    store: ChunkStore,
    embedder: BaseEmbedding,
    settings: IndexSettings,
    progress: Progress | None = None,
) -> IngestReport:
    """Index paths; unchanged files cost a hash, a failing file never stops the others."""
    store.sweep_orphans()
    files, failed = expand_paths(paths)
    known = {d.doc_id: d for d in store.documents()}
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    run = _Run(store, embedder, settings, progress, len(files), sum(sizes))
    unchanged: list[str] = []
    round_: list[_Prepared] = []
    round_chunks = 0
    for item in _read_ahead(files, known, settings):
        if item.fatal is not None:
            run.flush(round_)  # what is ready is kept
            raise item.fatal
        if item.doc is None:
            run.finish_file(item)
            if item.unchanged:
                unchanged.append(str(item.path))
            else:
                failed.append((str(item.path), item.failure or "could not be indexed"))
            run.report()
            continue
        round_.append(item)
        round_chunks += len(item.nodes)
        if round_chunks >= settings.ingest.write_batch:
            run.flush(round_)
            round_, round_chunks = [], 0
    run.flush(round_)
    run.report()
    return IngestReport(
        added=tuple(run.added),
        updated=tuple(run.updated),
        unchanged=tuple(unchanged),
        failed=tuple(failed),
        chunks=run.chunks,
        seconds=time.perf_counter() - run.started,
    )
