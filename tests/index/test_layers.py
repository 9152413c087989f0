"""index/ is the lower layer: it imports nothing from assistant/ or ui/ (issue 9, item 5)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

INDEX = Path(__file__).resolve().parents[2] / "index"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", sorted(INDEX.glob("*.py")), ids=lambda p: p.name)
def test_index_modules_import_nothing_above_them(module):
    above = {n for n in _imported(module) if n.split(".")[0] in {"assistant", "ui"}}
    assert not above, f"{module.name} imports {sorted(above)}: pass settings in, raise index.errors"


def test_the_errors_are_one_tree():
    from assistant import errors as assistant_errors
    from index import errors as index_errors

    for name in ("AssistantError", "ConfigError", "StoreError", "ModelError", "DocumentError"):
        assert getattr(assistant_errors, name) is getattr(index_errors, name)
    assert issubclass(assistant_errors.PromptError, index_errors.AssistantError)


def test_the_index_settings_keep_their_environment_names(monkeypatch, tmp_path):
    from assistant.settings import Settings
    from index.config import IndexSettings

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "http://127.0.0.1:8123")
    monkeypatch.setenv("ASSISTANT_COLLECTION", "mine")
    monkeypatch.setenv("ASSISTANT_STORE_BATCH", "77")
    monkeypatch.setenv("ASSISTANT_CHUNKING__CHUNK_TOKENS", "99")
    monkeypatch.setenv("ASSISTANT_INGEST__MAX_FILE_MB", "2.5")
    settings = Settings()
    assert isinstance(settings, IndexSettings)  # what index/ functions take
    assert (settings.data_dir, settings.chroma_url, settings.collection) == (
        tmp_path / "d", "http://127.0.0.1:8123", "mine"
    )  # fmt: skip
    assert (settings.store_batch, settings.chunking.chunk_tokens) == (77, 99)
    assert settings.ingest.max_file_mb == 2.5
