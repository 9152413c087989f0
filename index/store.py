"""Store stage: chunks and their embeddings in Chroma, through llama-index's ChromaVectorStore.

The only module that imports chromadb. Chroma's metadata dicts never leave it: callers get
llama-index nodes with our metadata keys (below) and StoredDocument values.

Two collections per store: `<name>` holds chunks (one llama-index TextNode each) and
`<name>__docs` is the manifest, one record per completely indexed document. A document's chunks
are written first and its manifest record last, and readers only trust chunks whose
content_hash matches the manifest, so an interrupted ingest never leaves a half-indexed document
looking complete; the next ingest sweeps such orphans away.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import chromadb
from llama_index.core.schema import MetadataMode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant.errors import StoreError
from assistant.settings import Settings

if TYPE_CHECKING:  # the loaders import assistant.errors; a runtime import would cycle
    from index.chunking import Chunk
    from index.loaders import Document

# Metadata keys every chunk node carries (see node_for_chunk).
META_KEYS = (
    "doc_id", "source", "name", "title", "date", "language", "start", "end", "chunk_index",
    "content_hash", "date_notes",
)  # fmt: skip


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


def node_for_chunk(doc: Document, chunk: Chunk, embedding: Sequence[float] | None) -> TextNode:
    """The llama-index node stored for one chunk; its ref_doc_id is the document id."""
    metadata: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "source": doc.source,
        "name": doc.name,
        "title": doc.title or "",
        "date": doc.date or "",
        "language": doc.language,
        "start": chunk.start,
        "end": chunk.end,
        "chunk_index": chunk.index,
        "content_hash": doc.content_hash,
        "date_notes": date_notes(doc, chunk),
    }
    return TextNode(
        id_=chunk.id,
        text=chunk.text,
        embedding=list(embedding) if embedding is not None else None,
        metadata=metadata,
        # The chunk text alone is embedded and searched; metadata is for citations.
        excluded_embed_metadata_keys=list(metadata),
        excluded_llm_metadata_keys=list(metadata),
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc.doc_id)},
    )


def date_notes(doc: Document, chunk: Chunk) -> str:
    """Relative dates of the chunk's sentences resolved with the whole document before them.

    Done at index time because only here is the full text at hand: "två dagar senare" counts
    from a date that may sit in the previous chunk. One line per phrase: "start\tphrase\tdate",
    start being the sentence's offset in the document.
    """
    from index.chunking import split_sentences
    from index.dates import resolve_relative_dates

    lines = []
    for rel_start, rel_end in split_sentences(chunk.text):
        start = chunk.start + rel_start
        sentence = chunk.text[rel_start:rel_end]
        for phrase, resolved in resolve_relative_dates(sentence, doc.date, doc.text[:start]):
            lines.append(f"{start}\t{phrase}\t{resolved}")
    return "\n".join(lines)


def make_client(settings: Settings) -> Any:
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


class ChunkStore:
    """Adds, lists, removes and queries indexed documents in one Chroma collection pair."""

    def __init__(self, settings: Settings, *, client: Any = None, collection: str | None = None):
        self.settings = settings
        self._client = client if client is not None else make_client(settings)
        name = collection or settings.collection
        try:
            self._chunks = self._client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine"}},  # MiniLM vectors compare by angle
                embedding_function=None,  # we embed with our own model; never Chroma's default
            )
            self._docs = self._client.get_or_create_collection(
                f"{name}__docs", embedding_function=None
            )
        except Exception as exc:
            raise StoreError(
                f"cannot open collection {name!r} ({exc}); choose another name with "
                "ASSISTANT_COLLECTION or check the Chroma server's version."
            ) from exc
        self.vector_store = ChromaVectorStore(chroma_collection=self._chunks)
        self._lock = threading.Lock()
        self._version = 0

    @property
    def version(self) -> int:
        """Changes whenever documents are added or removed in this process (for caches)."""
        return self._version

    # -- documents -----------------------------------------------------------------------
    def documents(self) -> list[StoredDocument]:
        """Every completely indexed document, sorted by file name."""
        got = self._docs.get(include=["metadatas"])
        docs = [
            _stored(doc_id, meta)
            for doc_id, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
        ]
        return sorted(docs, key=lambda d: (d.name, d.source))

    def get(self, doc_id: str) -> StoredDocument | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _stored(got["ids"][0], (got["metadatas"] or [{}])[0])

    def chunk_count(self) -> int:
        return sum(d.chunks for d in self.documents())

    # -- writes ----------------------------------------------------------------------------
    def add(self, doc: Document, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]):
        """Index doc (replacing an older version of it) so that it appears all at once."""
        if len(chunks) != len(embeddings):
            raise ValueError("one embedding per chunk is needed")
        nodes = [node_for_chunk(doc, c, e) for c, e in zip(chunks, embeddings, strict=True)]
        with self._lock:
            self._write_nodes(nodes)
            record = {
                "source": doc.source,
                "title": doc.title or "",
                "date": doc.date or "",
                "language": doc.language,
                "file_hash": doc.file_hash,
                "content_hash": doc.content_hash,
                "chunks": len(nodes),
                "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            # The manifest record is the commit point: only now does the new version count.
            self._docs.upsert(ids=[doc.doc_id], embeddings=[[1.0]], metadatas=[record])
            current = {n.node_id for n in nodes}
            mine = self._chunks.get(where={"doc_id": doc.doc_id}, include=[])["ids"]
            if stale := [cid for cid in mine if cid not in current]:
                self._chunks.delete(ids=stale)
            self._version += 1

    def _write_nodes(self, nodes: Sequence[TextNode]) -> None:
        """Write chunk nodes, overwriting any with the same id.

        ChromaVectorStore.add() uses Chroma's add(), which cannot overwrite; re-indexing a file
        whose text did not change yields the same chunk ids, and deleting them first would leave
        the document without chunks if the process died in between. So this is upsert, with
        llama-index's own node → metadata conversion.
        """
        for start in range(0, len(nodes), 1000):
            batch = nodes[start : start + 1000]
            metadatas = []
            for node in batch:
                meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
                metadatas.append({k: ("" if v is None else v) for k, v in meta.items()})
            self._chunks.upsert(
                ids=[n.node_id for n in batch],
                embeddings=[n.get_embedding() for n in batch],
                metadatas=metadatas,
                documents=[n.get_content(metadata_mode=MetadataMode.NONE) for n in batch],
            )

    def remove(self, doc_id: str) -> int:
        """Drop a document and its chunks; returns how many chunks went."""
        with self._lock:
            stored = self.get(doc_id)
            self._docs.delete(ids=[doc_id])  # first, so a crash leaves only orphans
            self.vector_store.delete(ref_doc_id=doc_id)
            self._version += 1
            return stored.chunks if stored else 0

    def drop(self) -> None:
        """Delete both collections of this store (for throwaway stores, like the baseline's)."""
        with self._lock:
            for collection in (self._chunks, self._docs):
                self._client.delete_collection(collection.name)
            self._version += 1

    def sweep_orphans(self) -> int:
        """Delete chunks no manifest record vouches for (left by an interrupted ingest)."""
        # Read and delete under the lock: an add() in another thread writes its chunks before
        # its manifest record, and a sweep reading in between would delete them as orphans.
        with self._lock:
            valid = {d.doc_id: d.content_hash for d in self.documents()}
            got = self._chunks.get(include=["metadatas"])
            stale = [
                cid
                for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
                if valid.get(str(meta.get("doc_id"))) != meta.get("content_hash")
            ]
            if stale:
                self._chunks.delete(ids=stale)
                self._version += 1
        return len(stale)

    # -- reads -----------------------------------------------------------------------------
    def nodes(self) -> list[TextNode]:
        """All chunk nodes of completely indexed documents (for BM25 and listings)."""
        valid = {d.doc_id: d.content_hash for d in self.documents()}
        nodes = self.vector_store.get_nodes(node_ids=None)
        return [
            n
            for n in nodes
            if isinstance(n, TextNode)
            and valid.get(str(n.metadata.get("doc_id"))) == n.metadata.get("content_hash")
        ]

    def is_valid(self, node: TextNode, manifest: dict[str, str] | None = None) -> bool:
        """True if node belongs to the current version of a completely indexed document."""
        manifest = manifest if manifest is not None else self.manifest()
        return manifest.get(node.metadata.get("doc_id", "")) == node.metadata.get("content_hash")

    def manifest(self) -> dict[str, str]:
        """doc_id → content_hash of every completely indexed document."""
        return {d.doc_id: d.content_hash for d in self.documents()}


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
