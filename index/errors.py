"""The index's errors: the root of the project's one exception tree; messages say how to fix it.

They live here, in the lower layer, so index/ needs nothing from assistant/; assistant/errors.py
re-exports them (the same classes), so `except AssistantError` catches these too.
"""

from __future__ import annotations

__all__ = ["AssistantError", "ConfigError", "DocumentError", "ModelError", "StoreError"]


class AssistantError(Exception):
    """Base class for every error this project (index/ and assistant/) raises on purpose."""


class ConfigError(AssistantError):
    """A setting is missing or invalid."""


class StoreError(AssistantError):
    """The vector store cannot be opened, read or written."""


class ModelError(AssistantError):
    """A model (LLM or embedder) cannot be found, verified or run."""


class DocumentError(AssistantError):
    """A document cannot be read or indexed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")
