"""Offline question answering over your own documents, with checked citations."""

from assistant.answer import Answer, Citation, Timings
from assistant.api import Assistant
from assistant.errors import AssistantError, ConfigError, DocumentError, ModelError, StoreError
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
