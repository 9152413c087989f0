"""Offline question answering over your own documents, with checked citations."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, ConfigError, DocumentError, ModelError, StoreError

if TYPE_CHECKING:
    from assistant.answer import Answer, Citation, Timings
    from assistant.api import Assistant
    from assistant.settings import Settings

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "ConfigError",
    "DocumentError",
    "ModelError",
    "Settings",
    "StoreError",
    "Timings",
]

# Loaded on first use: importing the engine (llama-index, Chroma, torch) takes seconds, and
# `assistant -h` or `from assistant import AssistantError` should not pay for it.
_LAZY = {
    "Answer": "assistant.answer",
    "Citation": "assistant.answer",
    "Timings": "assistant.answer",
    "Assistant": "assistant.api",
    "Settings": "assistant.settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
