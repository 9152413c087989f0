"""One exception tree; every message says how to fix the problem.

The root and the errors the index raises are defined in index/errors.py (the lower layer) and
are the same classes here, so `except AssistantError` catches everything either package raises.
"""

from __future__ import annotations

from index.errors import AssistantError, ConfigError, DocumentError, ModelError, StoreError

__all__ = [
    "AssistantError",
    "ConfigError",
    "DocumentError",
    "ModelError",
    "PromptError",
    "StoreError",
]


class PromptError(ConfigError):
    """A prompt template is missing or lacks a required placeholder."""
