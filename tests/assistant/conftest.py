"""Fixtures shared by the CLI tests: an Assistant with fakes behind the `assistant` command."""

from __future__ import annotations

import pytest

from assistant import Assistant, cli
from index.store import ChunkStore


@pytest.fixture
def fake_assistant(
    monkeypatch, settings, fake_llm, fake_embedder, chroma_client, unique_collection
):
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    a = Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)
    monkeypatch.setattr(cli, "_assistant", lambda **_: a)
    return a
