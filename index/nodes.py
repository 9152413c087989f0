"""The llama-index node stored for each chunk: its text, offsets and citation metadata.

Between chunking and the store: ingest makes a document's nodes in its reader thread (the date
notes need the whole document), the embedder fills in their vectors, the store writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from index.chunking import split_sentences
from index.dates import DateAnchors, resolve_relative_dates

if TYPE_CHECKING:
    from index.chunking import Chunk
    from index.loaders import Document

__all__ = ["META_KEYS", "date_notes", "marked_headings", "node_for_chunk", "nodes_for_document"]

# Metadata keys every chunk node carries (see node_for_chunk).
META_KEYS = (
    "doc_id", "source", "name", "title", "date", "language", "start", "end", "chunk_index",
    "content_hash", "date_notes", "headings_marked", "headings",
)  # fmt: skip


def node_for_chunk(
    doc: Document,
    chunk: Chunk,
    embedding: Sequence[float] | None,
    *,
    anchors: DateAnchors | None = None,
    marked: frozenset[str] | None = None,
) -> TextNode:
    """The llama-index node stored for one chunk; its ref_doc_id is the document id.

    anchors: the document's DateAnchors, when nodes for many of its chunks are made (building
    them costs a pass over the whole document); marked: the set of doc.headings, likewise.
    """
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
        "date_notes": date_notes(doc, chunk, anchors or DateAnchors(doc.text)),
        # Whether the format marks its headings (HTML, Markdown), and the chunk's lines it
        # marks, one per line: evidence selection takes only these for headings then.
        "headings_marked": doc.headings is not None,
        "headings": marked_headings(
            chunk, frozenset(doc.headings or ()) if marked is None else marked
        ),
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


def nodes_for_document(doc: Document, chunks: Sequence[Chunk]) -> list[TextNode]:
    """Nodes (without embeddings yet) for all chunks of doc, in time linear in its length."""
    anchors = DateAnchors(doc.text)
    marked = frozenset(doc.headings or ())
    return [node_for_chunk(doc, chunk, None, anchors=anchors, marked=marked) for chunk in chunks]


def marked_headings(chunk: Chunk, marked: frozenset[str]) -> str:
    """The chunk's lines that are among marked (its document's headings), spaces normalised,
    one per line; "" when none is. Linear in the chunk's length."""
    if not marked:
        return ""
    lines = (" ".join(line.split()) for line in chunk.text.splitlines())
    return "\n".join(dict.fromkeys(line for line in lines if line in marked))


def date_notes(doc: Document, chunk: Chunk, anchors: DateAnchors) -> str:
    """Relative dates of the chunk's sentences resolved with the whole document before them.

    Done at index time because only here is the full text at hand: "två dagar senare" counts
    from a date that may sit in the previous chunk. One line per phrase: "start\tphrase\tdate",
    start being the sentence's offset in the document.
    """
    lines = []
    for rel_start, rel_end in split_sentences(chunk.text):
        start = chunk.start + rel_start
        sentence = chunk.text[rel_start:rel_end]
        for phrase, resolved in resolve_relative_dates(sentence, doc.date, anchors.before(start)):
            lines.append(f"{start}\t{phrase}\t{resolved}")
    return "\n".join(lines)
