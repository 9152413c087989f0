"""The indexing pipeline end to end: load → clean → chunk → embed → store, incrementally."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.errors import DocumentError
from assistant.settings import Settings
from index.chunking import chunk_document
from index.loaders import SUPPORTED_SUFFIXES, document_id, file_sha256, load_document
from index.store import ChunkStore

Progress = Callable[[int, int, str], None]  # (files done, files total, current file)


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


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest (folders searched recursively) and the paths that cannot be used."""
    files: list[Path] = []
    failed: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                failed.append((str(path), "folder has no txt, md, html or pdf files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            failed.append((str(path), "no such file or folder: check the path"))
    return list(dict.fromkeys(p.resolve() for p in files)), failed


def ingest(
    paths: Iterable[str | Path],
    *,
    store: ChunkStore,
    embedder: BaseEmbedding,
    settings: Settings,
    progress: Progress | None = None,
) -> IngestReport:
    """Index paths; unchanged files cost a hash, a failing file never stops the others."""
    started = time.perf_counter()
    store.sweep_orphans()
    files, failed = expand_paths(paths)
    known = {d.doc_id: d for d in store.documents()}
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    chunks_total = 0
    for i, path in enumerate(files):
        if progress:
            progress(i, len(files), path.name)
        try:
            previous = known.get(document_id(path))
            if previous and previous.file_hash == file_sha256(path):
                unchanged.append(str(path))
                continue
            doc = load_document(path)
            chunks = chunk_document(
                doc,
                chunk_tokens=settings.chunking.chunk_tokens,
                overlap_tokens=settings.chunking.overlap_tokens,
                encoding=settings.chunking.encoding,
            )
            vectors = embedder.get_text_embedding_batch([c.text for c in chunks])
            store.add(doc, chunks, vectors)
        except DocumentError as exc:
            failed.append((exc.path, exc.reason))
            continue
        except OSError as exc:
            failed.append((str(path), f"cannot read the file ({exc.strerror or exc})"))
            continue
        chunks_total += len(chunks)
        (updated if previous else added).append(str(path))
    if progress:
        progress(len(files), len(files), "")
    return IngestReport(
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        failed=tuple(failed),
        chunks=chunks_total,
        seconds=time.perf_counter() - started,
    )
