"""A real conversation with the bundled models over seeds/: the follow-up's history is the model's
own first answer, not a hand-written one."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SANCTIONS_FILE = "004_fc025db9153bd9ca.txt"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    a = Assistant(Settings(data_dir=tmp_path_factory.mktemp("e2e-multiturn")))
    report = a.ensure_seeded()
    assert report is not None and not report.failed
    return a


def test_follow_up_on_the_models_own_answer(real: Assistant) -> None:
    question = "When were the sanctions lifted?"
    first = real.ask(question)
    assert not first.refused and "July 2016" in first.text
    assert any(c.name == SANCTIONS_FILE for c in first.citations)

    # "he" and "at that time" only mean something through the conversation, as the model wrote it.
    history = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": first.text},
    ]
    follow = real.ask("What did he offer to pay at that time?", history)
    assert not follow.refused and "compensation" in follow.text.lower()
    cited = [c for c in follow.citations if c.name == SANCTIONS_FILE]
    assert cited and any("compensation" in c.quote for c in cited)
    source = (ROOT / "seeds" / SANCTIONS_FILE).read_text(encoding="utf-8")
    assert all(c.quote in source for c in cited)  # verbatim spans of the seed
