"""One writing process per embedded store: an OS file lock in the data folder.

Chroma's embedded PersistentClient is not process-safe: each process keeps its own in-memory
vector index, so a second writer's chunks are invisible to the first, and one process's orphan
sweep can delete chunks the other has written but not yet committed. The first process that
writes takes the lock and keeps it until it exits (the OS drops it even on SIGKILL); readers
never take it. With a Chroma server (chroma_url) there is no lock: the server serializes writes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

from filelock import FileLock, Timeout

from index.errors import StoreError

__all__ = ["LOCK_NAME", "WriterLock", "writer_lock"]

LOCK_NAME = "writer.lock"
_OWNER_NAME = "writer.owner"  # "pid command" of the holder, for the error message

_LOCKS: dict[Path, WriterLock] = {}
_LOCKS_GUARD = threading.Lock()


class WriterLock:
    """The data folder's writer lock, held by at most one process at a time."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.path = self.data_dir / LOCK_NAME
        self._lock = FileLock(str(self.path), timeout=0, thread_local=False, is_singleton=False)
        self._guard = threading.Lock()

    @property
    def held(self) -> bool:
        """True when this process holds the lock."""
        return self._lock.is_locked

    def acquire(self) -> None:
        """Take the lock for the rest of this process; StoreError if another process has it."""
        with self._guard:
            if self._lock.is_locked:
                return
            try:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                self._lock.acquire()
            except Timeout:
                raise StoreError(self._busy_message()) from None
            except OSError as exc:
                raise StoreError(
                    f"cannot create the lock file {self.path} ({exc.strerror or exc}): make the "
                    "folder writable or set ASSISTANT_DATA_DIR to another folder"
                ) from exc
            command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else ""
            with contextlib.suppress(OSError):
                (self.data_dir / _OWNER_NAME).write_text(f"{os.getpid()} {command}".strip())

    def release(self) -> None:
        """Let other processes write (this process's next write takes the lock again)."""
        with self._guard:
            if self._lock.is_locked:
                with contextlib.suppress(OSError):
                    (self.data_dir / _OWNER_NAME).unlink()
                self._lock.release(force=True)

    def _busy_message(self) -> str:
        try:
            owner = (self.data_dir / _OWNER_NAME).read_text().strip()
        except OSError:
            owner = ""
        pid, _, command = owner.partition(" ")
        holder = f"process {pid} ({command or 'assistant'})" if pid else "another process"
        return (
            f"the embedded store in {self.data_dir} is being written by {holder}, and it takes "
            "one writing process at a time. Wait for it to finish or stop it; to write from "
            "several processes at once, run a Chroma server "
            f"(`chroma run --path {self.data_dir / 'chroma'} --port 8000`) and set "
            "ASSISTANT_CHROMA_URL=http://127.0.0.1:8000 for every process. Reading (ask, "
            "sources) works meanwhile."
        )


def writer_lock(data_dir: Path) -> WriterLock:
    """The one WriterLock of this process for data_dir (shared by every Assistant in it)."""
    key = Path(data_dir).expanduser().resolve()
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = WriterLock(key)
        return lock
