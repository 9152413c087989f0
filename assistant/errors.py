"""One exception tree; every message says how to fix the problem."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for every error this package raises on purpose."""


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


class PromptError(ConfigError):
    """A prompt template is missing or lacks a required placeholder."""
