"""Store stage: chunks and their embeddings in Chroma (through llama-index's ChromaVectorStore),
and their words in a BM25 index beside it (index/bm25.py).

The only module that imports chromadb. Chroma's metadata dicts never leave it: callers get
llama-index nodes with our metadata keys (index/nodes.py) and StoredDocument values.

Three collections per store: `<name>` holds chunks (one llama-index TextNode each),
`<name>__docs` is the manifest, one record per completely indexed document, and `<name>__state`
holds the write journal and a generation token. A document's chunks are written first and its
manifest record last, and readers only trust chunks whose content_hash matches the manifest, so
an interrupted ingest never leaves a half-indexed document looking complete. Before its chunks
are written a document gets a journal entry naming the writing process; the entry goes once the
document is committed, so the orphans of an interrupted write are found from the journal (not by
reading every chunk), and only once the process that wrote them is gone.

Every Chroma read, write or delete over many ids goes in batches of `store_batch`: Chroma's
SQLite refuses statements with more than 32,766 variables ("too many SQL variables").
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import chromadb
from llama_index.core.schema import (
    BaseNode,
    MetadataMode,
    TextNode,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore

from index.bm25 import KeywordHit, KeywordIndex
from index.config import IndexSettings
from index.dates import DateAnchors
from index.errors import StoreError
from index.nodes import node_for_chunk

if TYPE_CHECKING:
    from index.chunking import Chunk
    from index.loaders import Document
_Node = TypeVar("_Node", bound=BaseNode)
_GENERATION = "generation"
_EMBEDDER = "embedder"  # the name of the embedder the store's vectors come from
_PENDING = "pending:"
# A journal entry of another machine's process is taken as abandoned after this long: no single
# document takes a day to embed, and its chunks are invisible meanwhile anyway.
_ABANDONED_AFTER_S = 24 * 3600
_HOST = socket.gethostname()


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document as the store knows it: what was indexed, when, and how many chunks."""

    doc_id: str
    source: str
    title: str | None
    date: str | None
    language: str
    file_hash: str
    content_hash: str
    chunks: int
    indexed_at: str

    @property
    def name(self) -> str:
        return Path(self.source).name


def make_client(settings: IndexSettings) -> Any:
    """A Chroma client: HTTP when settings.chroma_url is set, else persistent in data_dir."""
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # connection errors come in many types
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url} ({exc}). Start it "
                "(`chroma run --path DIR --host 127.0.0.1 --port 8000`) or unset "
                "ASSISTANT_CHROMA_URL to use the embedded store."
            ) from exc
        return client
    data_dir = Path(settings.data_dir).expanduser()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(
            f"cannot open the store in {data_dir} ({exc}). Check that the folder is writable, "
            "or set ASSISTANT_DATA_DIR to another folder."
        ) from exc


def _owner() -> str:
    return f"{_HOST}:{os.getpid()}"


def _abandoned(owner: str, started: float) -> bool:
    """True if the process that wrote a journal entry can no longer finish it."""
    host, _, pid = owner.rpartition(":")
    if host != _HOST:
        return time.time() - started > _ABANDONED_AFTER_S
    if pid == str(os.getpid()):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False  # alive under another user, or not ours to judge
    return False


class ChunkStore:
    """Adds, lists, removes and searches indexed documents (Chroma collections + BM25 file)."""

    def __init__(
        self, settings: IndexSettings, *, client: Any = None, collection: str | None = None
    ):
        self.settings = settings
        self._client = client if client is not None else make_client(settings)
        self.name = name = collection or settings.collection
        try:
            self._chunks = self._client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine"}},  # normalised vectors compare by angle
                embedding_function=None,  # we embed with our own model; never Chroma's default
            )
            self._docs = self._client.get_or_create_collection(
                f"{name}__docs", embedding_function=None
            )
            self._state = self._client.get_or_create_collection(
                f"{name}__state", embedding_function=None
            )
            max_batch = int(self._client.get_max_batch_size())
        except Exception as exc:
            raise StoreError(
                f"cannot open collection {name!r} ({exc}); choose another name with "
                "ASSISTANT_COLLECTION or check the Chroma server's version."
            ) from exc
        self.vector_store = ChromaVectorStore(chroma_collection=self._chunks)
        self._batch = max(1, min(settings.store_batch, max_batch))
        self._lock = threading.Lock()
        self._keywords: KeywordIndex | None = None
        self._synced: str | None = None  # the generation the BM25 file was last reconciled at

    # -- documents -----------------------------------------------------------------------
    def documents(self) -> list[StoredDocument]:
        """Every completely indexed document, sorted by file name."""
        docs = [_stored(i, meta) for i, meta in self._all(self._docs, ["metadatas"])]
        return sorted(docs, key=lambda d: (d.name, d.source))

    def has_documents(self) -> bool:
        """True if any document is completely indexed (one record read, not the manifest)."""
        return bool(self._docs.get(limit=1, include=[])["ids"])

    def get(self, doc_id: str) -> StoredDocument | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _stored(got["ids"][0], (got["metadatas"] or [{}])[0])

    def manifest(self, doc_ids: Sequence[str] | None = None) -> dict[str, str]:
        """doc_id → content_hash of the completely indexed documents (of doc_ids, or all)."""
        if doc_ids is None:
            pairs = self._all(self._docs, ["metadatas"])
        else:
            pairs = self._by_ids(self._docs, list(dict.fromkeys(doc_ids)), ["metadatas"])
        return {i: str((meta or {}).get("content_hash", "")) for i, meta in pairs}

    def fresh(self, nodes: Sequence[_Node]) -> list[_Node]:
        """The nodes that belong to the current version of a completely indexed document."""
        manifest = self.manifest([str(n.metadata.get("doc_id", "")) for n in nodes])
        return [
            n
            for n in nodes
            if manifest.get(str(n.metadata.get("doc_id", ""))) == n.metadata.get("content_hash")
        ]

    def generation(self) -> str:
        """A token that changes whenever any process adds or removes a document (before the
        manifest changes and again after, so a write cut short also counts as a change)."""
        got = self._state.get(ids=[_GENERATION], include=["metadatas"])
        return str(((got["metadatas"] or [{}])[0] or {}).get("token", "")) if got["ids"] else ""

    def check_embedder(self, name: str, *, record: bool = False) -> None:
        """Raise StoreError if the store's vectors come from an embedder other than name.

        record=True (before a write) also records name for a store that has none yet, or whose
        documents are all gone. Vectors of two embedders cannot be compared: without this check
        Chroma fails on the dimension, or, worse, same-sized vectors answer nonsense.
        """
        got = self._state.get(ids=[_EMBEDDER], include=["metadatas"])
        recorded = str(((got["metadatas"] or [{}])[0] or {}).get("name", "")) if got["ids"] else ""
        if recorded == name:
            return
        if recorded and self._chunks.count() > 0:
            raise StoreError(
                f"this index was built with the embedder {recorded!r}, but the settings choose "
                f"{name!r}, and vectors of two embedders cannot be compared. Set "
                f"ASSISTANT_MODELS__EMBEDDER={recorded} to use this index, or set another "
                "ASSISTANT_DATA_DIR (or ASSISTANT_COLLECTION) and ingest the documents again."
            )
        if record:
            self._state.upsert(ids=[_EMBEDDER], embeddings=[[1.0]], metadatas=[{"name": name}])

    # -- writes ----------------------------------------------------------------------------
    def add(self, doc: Document, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]):
        """Index doc (replacing an older version of it) so that it appears all at once."""
        if len(chunks) != len(embeddings):
            raise ValueError("one embedding per chunk is needed")
        anchors = DateAnchors(doc.text)
        nodes = [
            node_for_chunk(doc, c, e, anchors=anchors)
            for c, e in zip(chunks, embeddings, strict=True)
        ]
        self.begin([doc])
        try:
            self.write(nodes)
            self.commit([(doc, len(nodes))])
        except BaseException:
            self.discard([doc.doc_id])
            raise

    def begin(self, docs: Sequence[Document]) -> None:
        """Journal that these documents' chunks are about to be written (see sweep_orphans)."""
        if not docs:
            return
        entry = {"owner": _owner(), "started": time.time()}
        for batch in _batches([d.doc_id for d in docs], self._batch):
            self._state.upsert(
                ids=[_PENDING + doc_id for doc_id in batch],
                embeddings=[[1.0]] * len(batch),
                metadatas=[entry] * len(batch),
            )

    def write(self, nodes: Sequence[TextNode]) -> None:
        """Write embedded chunk nodes of journaled documents; they count once committed.

        Chroma's add() (which ChromaVectorStore.add uses) cannot overwrite; re-indexing a file
        whose text did not change yields the same chunk ids, and deleting them first would leave
        the document without chunks if the process died in between. So this is upsert, with
        llama-index's own node → metadata conversion.
        """
        for batch in _batches(list(nodes), self._batch):
            metadatas = []
            for node in batch:
                meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
                metadatas.append({k: ("" if v is None else v) for k, v in meta.items()})
            texts = [n.get_content(metadata_mode=MetadataMode.NONE) for n in batch]
            self._chunks.upsert(
                ids=[n.node_id for n in batch],
                embeddings=[n.get_embedding() for n in batch],
                metadatas=metadatas,
                documents=texts,
            )
            self.keywords.add(
                [
                    (
                        n.node_id,
                        n.metadata["doc_id"],
                        n.metadata["content_hash"],
                        n.metadata["language"],
                        text,
                    )
                    for n, text in zip(batch, texts, strict=True)
                ]  # fmt: skip
            )

    def commit(self, docs: Sequence[tuple[Document, int]]) -> None:
        """Make written documents visible: (document, its chunk count) each.

        The manifest records are the commit point; then the chunks of older versions go, and
        with them the journal entries. Only replaced documents are searched for old chunks: a
        new one's leftovers of an interrupted earlier write are the sweep's (its journal entry).
        """
        if not docs:
            return
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._bump()  # also before: a commit cut short must not look like no change
            before = self.manifest([doc.doc_id for doc, _ in docs])
            for batch in _batches(list(docs), self._batch):
                self._docs.upsert(
                    ids=[doc.doc_id for doc, _ in batch],
                    embeddings=[[1.0]] * len(batch),
                    metadatas=[_record(doc, count, now) for doc, count in batch],
                )
            self.keywords.commit([(doc.doc_id, doc.content_hash) for doc, _ in docs])
            for doc, _ in docs:
                if before.get(doc.doc_id, doc.content_hash) != doc.content_hash:
                    self._delete_chunks(doc.doc_id, keep_hash=doc.content_hash)
            self._end([doc.doc_id for doc, _ in docs])

    def discard(self, doc_ids: Sequence[str]) -> int:
        """Drop what was written for these documents but not committed; returns chunks dropped."""
        with self._lock:
            dropped = 0
            manifest = self.manifest(doc_ids)
            for doc_id in doc_ids:
                dropped += self._delete_chunks(doc_id, keep_hash=manifest.get(doc_id))
                self.keywords.discard(doc_id, manifest.get(doc_id))
            self._end(doc_ids, changed=False)
            return dropped

    def remove(self, doc_id: str) -> int:
        """Drop a document and its chunks; returns how many chunks went."""
        with self._lock:
            stored = self.get(doc_id)
            self._state.upsert(
                ids=[_PENDING + doc_id],
                embeddings=[[1.0]],
                metadatas=[{"owner": _owner(), "started": time.time()}],
            )
            self._bump()
            self._docs.delete(ids=[doc_id])  # first: from here on the chunks count for nothing
            self._delete_chunks(doc_id, keep_hash=None)
            self.keywords.discard(doc_id, None)
            self._end([doc_id])
            return stored.chunks if stored else 0

    def sweep_orphans(self) -> int:
        """Delete the chunks of writes whose process died before committing them.

        Reads only the journal, not the chunks: an ingest does not pay for the store's size.
        Writes of live processes (this one included) are left alone: their chunks are not
        committed yet, not orphaned.
        """
        abandoned = []
        for entry, meta in self._all(self._state, ["metadatas"]):
            meta = meta or {}
            owner, started = str(meta.get("owner", "")), float(meta.get("started", 0))
            if entry.startswith(_PENDING) and _abandoned(owner, started):
                abandoned.append(entry.removeprefix(_PENDING))
        return self.discard(abandoned) if abandoned else 0

    def drop(self) -> None:
        """Delete this store's collections and BM25 file (for throwaway stores, like the
        baseline's)."""
        with self._lock:
            for collection in (self._chunks, self._docs, self._state):
                self._client.delete_collection(collection.name)
            if self._keywords is not None:
                self._keywords.close()
                self._keywords = None
            for suffix in ("", "-wal", "-shm"):
                self._keywords_path().with_name(self._keywords_path().name + suffix).unlink(
                    missing_ok=True
                )

    def clear(self) -> None:
        """Delete every document and chunk, batch by batch (the collections stay)."""
        with self._lock:
            for collection in (self._docs, self._chunks, self._state):
                for batch in _batches(collection.get(include=[])["ids"], self._batch):
                    collection.delete(ids=batch)
            self.keywords.clear()
            self._end([])

    def _end(self, doc_ids: Sequence[str], *, changed: bool = True) -> None:
        for batch in _batches([_PENDING + i for i in doc_ids], self._batch):
            self._state.delete(ids=batch)
        if changed:
            self._bump()

    def _bump(self) -> None:
        """Give the store a new generation token (see generation and sync_keywords)."""
        self._state.upsert(
            ids=[_GENERATION], embeddings=[[1.0]], metadatas=[{"token": uuid.uuid4().hex}]
        )

    def _delete_chunks(self, doc_id: str, keep_hash: str | None) -> int:
        """Delete a document's chunks (except version keep_hash's), batch by batch."""
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_hash is not None:
            where = {"$and": [where, {"content_hash": {"$ne": keep_hash}}]}
        deleted = 0
        while ids := self._chunks.get(where=where, limit=self._batch, include=[])["ids"]:
            self._chunks.delete(ids=ids)
            deleted += len(ids)
        return deleted

    # -- reads -----------------------------------------------------------------------------
    @property
    def keywords(self) -> KeywordIndex:
        """The BM25 index (opened on first use: throwaway stores never need one)."""
        if self._keywords is None:
            try:
                self._keywords = KeywordIndex(self._keywords_path())
            except Exception as exc:  # sqlite3 and OS errors
                raise StoreError(
                    f"cannot open the BM25 index {self._keywords_path()} ({exc}): check that the "
                    "folder is writable, or set ASSISTANT_DATA_DIR to another folder"
                ) from exc
        return self._keywords

    def _keywords_path(self) -> Path:
        return Path(self.settings.data_dir).expanduser() / "bm25" / f"{self.name}.sqlite3"

    def keyword_search(self, terms: Sequence[str], top_k: int) -> list[KeywordHit]:
        """BM25 hits for terms (index.bm25.query_terms), best first; may include stale chunks:
        check them with fresh()."""
        self.sync_keywords()
        return self.keywords.search(terms, top_k)

    def sync_keywords(self) -> int:
        """Bring the BM25 index up to the manifest if any process changed the store since it
        was last checked (cheap when nothing changed: one read); returns documents re-indexed.

        The BM25 file lives in this machine's data_dir: a store written by another process (or
        created before BM25 was kept, or after a crash between the two writes) may differ.
        """
        generation = self.generation()
        if generation == self._synced:
            return 0
        if self._synced is None and self.keywords.synced_generation() == generation:
            # Reconciled at this generation by an earlier process, and neither the store nor
            # the file changed since: a restart need not read the whole manifest.
            self._synced = generation
            return 0
        with self._lock:
            manifest = self.manifest()
            indexed = self.keywords.documents()
            redo = 0
            for doc_id, content_hash in indexed.items():
                if manifest.get(doc_id) != content_hash:
                    self.keywords.discard(doc_id, manifest.get(doc_id))
            for doc_id, content_hash in manifest.items():
                if indexed.get(doc_id) == content_hash:
                    continue
                where = {"$and": [{"doc_id": doc_id}, {"content_hash": content_hash}]}
                rows = []
                for node in self.iter_nodes(where=where, committed=False):
                    meta = node.metadata
                    rows.append((node.node_id, doc_id, content_hash, str(meta["language"]),
                                 node.get_content()))  # fmt: skip
                self.keywords.add(rows)
                self.keywords.commit([(doc_id, content_hash)])
                redo += 1
            self.keywords.mark_synced(generation)
            self._synced = generation
            return redo

    def get_nodes(self, ids: Sequence[str]) -> list[TextNode]:
        """Chunk nodes by id, in the order asked (unknown ids are left out)."""
        found: dict[str, TextNode] = {}
        for batch in _batches(list(dict.fromkeys(ids)), self._batch):
            got = self._chunks.get(ids=batch, include=["documents", "metadatas"])
            for node in _nodes(got):
                found[node.node_id] = node
        return [found[i] for i in ids if i in found]

    def iter_nodes(
        self, where: dict[str, Any] | None = None, *, committed: bool = True
    ) -> Iterator[TextNode]:
        """Chunk nodes (matching where), batch by batch, never all in one call or list.

        committed: only those of the current version of completely indexed documents.
        """
        manifest = self.manifest() if committed else {}
        ids = self._chunks.get(where=where, include=[])["ids"] if where else self._all_ids()
        for batch in _batches(ids, self._batch):
            for node in _nodes(self._chunks.get(ids=batch, include=["documents", "metadatas"])):
                meta = node.metadata
                if not committed or manifest.get(meta.get("doc_id", "")) == meta["content_hash"]:
                    yield node

    def _all_ids(self) -> list[str]:
        # Ids alone come back in one call at any size (measured with 40k chunks); with metadata
        # Chroma binds one variable per id and fails past 32,766.
        return list(self._chunks.get(include=[])["ids"])

    def _all(self, collection: Any, include: list[str]) -> list[tuple[str, Any]]:
        ids = collection.get(include=[])["ids"]
        return self._by_ids(collection, ids, include)

    def _by_ids(
        self, collection: Any, ids: Sequence[str], include: list[str]
    ) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for batch in _batches(list(ids), self._batch):
            got = collection.get(ids=batch, include=include)
            out += zip(got["ids"], got["metadatas"] or [{}] * len(got["ids"]), strict=False)
        return out


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _nodes(got: Any) -> list[TextNode]:
    out = []
    for text, meta in zip(got["documents"] or [], got["metadatas"] or [], strict=False):
        node = metadata_dict_to_node(dict(meta or {}), text=text)
        if isinstance(node, TextNode):
            out.append(node)
    return out


def _record(doc: Document, chunks: int, indexed_at: str) -> dict[str, Any]:
    return {
        "source": doc.source,
        "title": doc.title or "",
        "date": doc.date or "",
        "language": doc.language,
        "file_hash": doc.file_hash,
        "content_hash": doc.content_hash,
        "chunks": chunks,
        "indexed_at": indexed_at,
    }


def _stored(doc_id: str, meta: Any) -> StoredDocument:
    meta = dict(meta or {})
    return StoredDocument(
        doc_id=doc_id,
        source=str(meta.get("source", "")),
        title=str(meta.get("title") or "") or None,
        date=str(meta.get("date") or "") or None,
        language=str(meta.get("language", "")),
        file_hash=str(meta.get("file_hash", "")),
        content_hash=str(meta.get("content_hash", "")),
        chunks=int(meta.get("chunks", 0)),
        indexed_at=str(meta.get("indexed_at", "")),
    )
