"""The index's own settings: where the store lives, how documents are chunked and ingested.

Plain pydantic models, read by nobody from the environment: assistant/settings.py's `Settings`
derives from `IndexSettings`, so the same ASSISTANT_* variables fill them (ASSISTANT_DATA_DIR,
ASSISTANT_CHROMA_URL, ASSISTANT_CHUNKING__CHUNK_TOKENS, ASSISTANT_INGEST__MAX_FILE_MB, ...) and
any `Settings` can be passed wherever index/ asks for `IndexSettings`.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field, field_validator

__all__ = ["ChunkingSettings", "IndexSettings", "IngestSettings"]


class ChunkingSettings(BaseModel):
    """How cleaned documents are cut into chunks."""

    chunk_tokens: int = Field(160, ge=16, description="Target chunk size in tiktoken tokens.")
    overlap_tokens: int = Field(40, ge=0, description="Tokens shared by consecutive chunks.")
    encoding: str = Field("cl100k_base", description="tiktoken encoding used to count tokens.")


class IngestSettings(BaseModel):
    """Limits and batch sizes of the ingest pipeline (ASSISTANT_INGEST__*)."""

    max_file_mb: float = Field(
        32.0,
        gt=0,
        description="Largest file ingested, in MB (ASSISTANT_INGEST__MAX_FILE_MB). A 32 MB text "
        "file is about 100,000 chunks (4 MB of manual text made 12,700): hours of embedding "
        "on two cores.",
    )
    embed_batch: int = Field(
        256,
        ge=1,
        description="Chunks embedded per call, across documents: large batches keep the "
        "embedder busy, small ones show progress sooner.",
    )
    write_batch: int = Field(
        2048,
        ge=1,
        description="Chunks written to the store per round, across documents; each document "
        "still becomes visible only when its manifest record is written.",
    )
    trim_memory: bool = Field(
        True,
        description="After each embedded batch, hand the memory the embedder freed back to the "
        "system (glibc's malloc_trim; ASSISTANT_INGEST__TRIM_MEMORY). Without it the heap "
        "fragments and an ingest grows with every batch: 100,074 chunks peaked at 1.97 GB with "
        "it, 2.49 GB trimming once per round, 2.90 GB not at all; it costs about 4% of the "
        "ingest speed (README, Large libraries).",
    )
    read_ahead_chunks: int = Field(
        4096,
        ge=1,
        description="Chunks of the next files read, cleaned and chunked while the current ones "
        "are embedded (a bigger file is let through whole).",
    )


class IndexSettings(BaseModel):
    """Everything index/ needs: the store's location and the chunking and ingest sections."""

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("assistant")),
        description="Folder holding the persistent Chroma store and the BM25 index "
        "(ASSISTANT_DATA_DIR).",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server, e.g. http://127.0.0.1:8000 (ASSISTANT_CHROMA_URL). "
        "When unset, an embedded persistent store in data_dir is used.",
    )
    collection: str = Field("documents", description="Chroma collection name.")
    store_batch: int = Field(
        4000,
        ge=1,
        le=30000,
        description="Ids per Chroma read, write or delete: Chroma's SQLite allows at most "
        "32,766 variables in one statement (ASSISTANT_STORE_BATCH).",
    )
    chunking: ChunkingSettings = Field(default_factory=lambda: ChunkingSettings())
    ingest: IngestSettings = Field(default_factory=lambda: IngestSettings())

    @field_validator("chroma_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("chroma_url must start with http:// or https://")
        return value or None
