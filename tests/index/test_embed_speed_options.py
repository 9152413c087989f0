"""The embedder's speed options: length-sorted batches across an ingest call, the precision
setting, and the settings that carry them."""

from __future__ import annotations

import pytest

from assistant.errors import ModelError
from assistant.settings import ModelSettings, Settings
from index.embedding import CachedEmbedding, _unit, resolve_precision


def _record_batches(embedder, batch_size: int) -> list[list[str]]:
    """The texts of each model batch the fake embedder gets, with its batch size set."""
    batches: list[list[str]] = []
    original = embedder._get_text_embeddings

    def recording(texts: list[str]) -> list[list[float]]:
        batches.append(list(texts))
        return original(texts)

    object.__setattr__(embedder, "_get_text_embeddings", recording)
    object.__setattr__(embedder, "embed_batch_size", batch_size)
    return batches


def test_the_model_gets_texts_sorted_by_length_across_the_whole_call(fake_embedder):
    batches = _record_batches(fake_embedder, 2)
    texts = ["a b", "a b c d e f", "a", "a b c d", "a b c", "a b c d e"]
    cached = CachedEmbedding(fake_embedder, size=16)

    vectors = cached.get_text_embedding_batch(texts)

    # Batches of the model's size (2), longest first: each pads to texts of its own length.
    assert batches == [["a b c d e f", "a b c d e"], ["a b c d", "a b c"], ["a b", "a"]]
    expected = [fake_embedder.get_text_embedding(t) for t in texts]  # in the asked order
    assert [pytest.approx(_unit(v)) for v in vectors] == [_unit(v) for v in expected]


def test_the_sort_window_bounds_what_is_sorted_together(fake_embedder):
    batches = _record_batches(fake_embedder, 2)
    cached = CachedEmbedding(fake_embedder, size=16, window=2)
    cached.get_text_embedding_batch(["a", "a b c", "a b", "a b c d"])
    assert batches == [["a b c", "a"], ["a b c d", "a b"]]  # as before the sort: file order


def test_precision_is_explicit_or_chosen_for_the_cpu():
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto") in {"float32", "bfloat16"}
    with pytest.raises(ModelError, match="ASSISTANT_MODELS__EMBED_PRECISION"):
        resolve_precision("float16")


def test_auto_is_float32_without_bfloat16_units(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert resolve_precision("auto") == "float32"


def test_the_speed_options_are_settings(monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODELS__EMBED_PRECISION", "float32")
    monkeypatch.setenv("ASSISTANT_MODELS__EMBED_BATCH_SIZE", "64")
    monkeypatch.setenv("ASSISTANT_MODELS__EMBED_MAX_TOKENS", "256")
    models = Settings().models
    assert (models.embed_precision, models.embed_batch_size, models.embed_max_tokens) == (
        "float32",
        64,
        256,
    )
    defaults = ModelSettings()
    assert (defaults.embed_precision, defaults.embed_max_tokens) == ("auto", 512)
    for name in ("embed_precision", "embed_batch_size", "embed_max_tokens"):
        assert type(models).model_fields[name].description


def test_a_token_counter_decides_the_order(fake_embedder):
    batches = _record_batches(fake_embedder, 1)
    words = CachedEmbedding(fake_embedder, lengths=lambda ts: [len(t.split()) for t in ts])
    words.get_text_embedding_batch(["Donaudampfschifffahrt", "a b c", "x y"])
    assert batches == [["a b c"], ["x y"], ["Donaudampfschifffahrt"]]  # by count, not characters


def test_sentence_transformers_embedders_count_with_their_tokenizer():
    from index.embedding import token_counter

    class Tokenizer:
        def __call__(self, texts, add_special_tokens=True):
            return {"input_ids": [t.split() for t in texts]}

    class Model:
        tokenizer = Tokenizer()

    class Embedder:
        _model = Model()

    count = token_counter(Embedder())  # type: ignore[arg-type]
    assert count is not None and count(["a b", "c"]) == [2, 1]
    assert token_counter(object()) is None  # type: ignore[arg-type]
