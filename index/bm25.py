"""BM25 over the indexed chunks: SQLite's FTS5, persisted beside the store, updated per document.

Chosen over rebuilding bm25s (llama-index's BM25Retriever) at start-up: that needed every chunk
in one Python list (one Chroma read of all of them failed at 36k chunks) and a rebuild whenever a
document changed. FTS5 ranks with BM25 itself (k1=1.2, b=0.75), adds and deletes rows in place,
and ships with Python. The porter stemmer folds English endings, as bm25s' English stemmer did.

Rows are keyed by chunk id and carry their document's content hash; which rows count is decided
by the store's manifest (ChunkStore), not here. `documents` records the content hash of each
document whose rows are complete, so the store can reconcile this file with the manifest (after
a crash, or when another process on another machine wrote to the same Chroma server). `state`
remembers the store generation of the last reconciliation, so a restart that finds the store
unchanged skips it (reading the whole manifest took 0.2-0.45 s at 2,790 documents); every write
to this file forgets it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KeywordHit", "KeywordIndex", "query_terms"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    language TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (doc_id, content_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5 (
    text, tokenize = 'porter unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_SYNCED = "synced_generation"  # the store generation the rows were last reconciled with
# Same word characters as FTS5's unicode61 tokenizer: letters and digits, not "_".
_WORD = re.compile(r"[^\W_]+")
_DELETE_BATCH = 500  # ids per statement, far below SQLite's variable limit


@dataclass(frozen=True, slots=True)
class KeywordHit:
    chunk_id: str
    doc_id: str
    content_hash: str
    score: float  # BM25, higher is better


def query_terms(text: str, stopwords: Iterable[str] = ()) -> list[str]:
    """The distinct searchable words of text, lower-cased, without stopwords, in order."""
    skip = frozenset(stopwords)
    words = (w for w in _WORD.findall(text.lower()) if w not in skip)
    return list(dict.fromkeys(words))


class KeywordIndex:
    """One SQLite file of chunk texts with an FTS5 (BM25) index; safe across threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection shared by this process's threads (under the lock); other processes
        # open their own, and SQLite's file locks keep them consistent.
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=60.0)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes ----------------------------------------------------------------------------
    def add(self, rows: Sequence[tuple[str, str, str, str, str]]) -> None:
        """Add (chunk_id, doc_id, content_hash, language, text) rows; known chunk ids are kept.

        A chunk id derives from the document's content hash and offsets, so a known id always
        has the same text: re-adding it changes nothing.
        """
        with self._lock, self._db:
            self._forget_sync()
            for chunk_id, doc_id, content_hash, language, text in rows:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO chunks (chunk_id, doc_id, content_hash, language) "
                    "VALUES (?, ?, ?, ?)",
                    (chunk_id, doc_id, content_hash, language),
                )
                if cursor.rowcount:
                    self._db.execute(
                        "INSERT INTO terms (rowid, text) VALUES (?, ?)", (cursor.lastrowid, text)
                    )

    def commit(self, documents: Sequence[tuple[str, str]]) -> None:
        """Mark (doc_id, content_hash) complete and drop the rows of their other versions."""
        with self._lock, self._db:
            self._forget_sync()
            for doc_id, content_hash in documents:
                self._delete_rows(
                    "SELECT rowid FROM chunks WHERE doc_id = ? AND content_hash != ?",
                    (doc_id, content_hash),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO documents (doc_id, content_hash) VALUES (?, ?)",
                    (doc_id, content_hash),
                )

    def discard(self, doc_id: str, keep_hash: str | None) -> int:
        """Drop a document's rows, except those of version keep_hash; returns how many went."""
        with self._lock, self._db:
            self._forget_sync()
            if keep_hash is None:
                self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
                return self._delete_rows("SELECT rowid FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.execute(
                "DELETE FROM documents WHERE doc_id = ? AND content_hash != ?", (doc_id, keep_hash)
            )
            return self._delete_rows(
                "SELECT rowid FROM chunks WHERE doc_id = ? AND content_hash != ?",
                (doc_id, keep_hash),
            )

    def clear(self) -> None:
        with self._lock, self._db:
            self._forget_sync()
            self._db.execute("DELETE FROM terms")
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM documents")

    def mark_synced(self, generation: str) -> None:
        """Record that the rows match the store's manifest at this generation."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (_SYNCED, generation)
            )

    def _forget_sync(self) -> None:
        self._db.execute("DELETE FROM state WHERE key = ?", (_SYNCED,))

    def _delete_rows(self, select: str, params: tuple[str, ...]) -> int:
        rowids = [row[0] for row in self._db.execute(select, params)]
        for start in range(0, len(rowids), _DELETE_BATCH):
            batch = rowids[start : start + _DELETE_BATCH]
            marks = ",".join("?" * len(batch))
            self._db.execute(f"DELETE FROM terms WHERE rowid IN ({marks})", batch)
            self._db.execute(f"DELETE FROM chunks WHERE rowid IN ({marks})", batch)
        return len(rowids)

    # -- reads -----------------------------------------------------------------------------
    def synced_generation(self) -> str | None:
        """The store generation the rows were last reconciled with, if nothing changed since."""
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (_SYNCED,)).fetchone()
        return None if row is None else str(row[0])

    def documents(self) -> dict[str, str]:
        """doc_id → content_hash of every document whose rows are complete."""
        with self._lock:
            return dict(self._db.execute("SELECT doc_id, content_hash FROM documents").fetchall())

    def search(self, terms: Sequence[str], top_k: int) -> list[KeywordHit]:
        """The top_k chunks by BM25 for any of terms (see query_terms), best first."""
        if not terms or top_k < 1:
            return []
        match = " OR ".join(f'"{term}"' for term in terms)  # terms hold no quotes: \w only
        with self._lock:
            rows = self._db.execute(
                "SELECT chunks.chunk_id, chunks.doc_id, chunks.content_hash, bm25(terms) AS rank "
                "FROM terms JOIN chunks ON chunks.rowid = terms.rowid WHERE terms MATCH ? "
                "ORDER BY rank LIMIT ?",
                (match, top_k),
            ).fetchall()
        # FTS5's bm25() is negated so that ascending order is best first.
        return [KeywordHit(c, d, h, -float(rank)) for c, d, h, rank in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])
