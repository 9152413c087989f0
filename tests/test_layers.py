"""Lower layers never import upper ones: index/ knows nothing of assistant/ or ui/, and ui/
reaches documents only through the Python API."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(folder: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(path.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append((path.name, node.module))
    return found


def test_index_does_not_import_the_assistant_or_the_ui():
    bad = [(f, m) for f, m in _imports("index") if m.split(".")[0] in {"assistant", "ui"}]
    assert not bad


def test_the_ui_does_not_reach_the_index_or_the_engine_directly():
    allowed = {"assistant", "assistant.api", "assistant.errors", "assistant.settings",
               "assistant.schema", "assistant.chat"}  # fmt: skip
    bad = [
        (f, m)
        for f, m in _imports("ui")
        if m.split(".")[0] == "index" or (m.startswith("assistant") and m not in allowed)
    ]
    assert not bad, bad
