"""End to end with the real bundled models over seeds/: the answers users are promised."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.settings import REFUSAL_EN

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SANCTIONS_FILE = "004_fc025db9153bd9ca.txt"
SWEDISH_FILE = "000_de2dd51f3474cc85.txt"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    a = Assistant(Settings(data_dir=tmp_path_factory.mktemp("e2e-data")))
    report = a.ensure_seeded()
    assert report is not None and len(report.added) == 2 and not report.failed
    return a


def test_sanctions_answer_and_its_citation(real: Assistant):
    answer = real.ask("When were the sanctions lifted?")
    assert not answer.refused
    assert "July 2016" in answer.text
    assert "[1]" in answer.text
    cited = {c.name for c in answer.citations}
    assert SANCTIONS_FILE in cited
    quote = next(c.quote for c in answer.citations if c.name == SANCTIONS_FILE)
    assert "lifted in July 2016" in quote
    assert quote in (ROOT / "seeds" / SANCTIONS_FILE).read_text(encoding="utf-8")
    assert answer.short == "July 2016"


def test_answer_only_in_the_swedish_article_is_found_and_cited(real: Assistant):
    answer = real.ask("Which Russian ambassador to Turkey was shot dead?")
    assert not answer.refused and "Karlov" in answer.text
    assert [c.name for c in answer.citations] == [SWEDISH_FILE]
    assert "Turkietambassadören Andrej Karlov" in answer.citations[0].quote


def test_out_of_scope_question_is_refused(real: Assistant):
    answer = real.ask("What is the capital of France?")
    assert answer.refused
    assert answer.text == REFUSAL_EN
    assert "Paris" not in answer.text and not answer.citations


def test_al_bab_injured(real: Assistant):
    answer = real.ask("How many were injured in the airstrike near al-Bab?")
    assert not answer.refused and "11" in answer.text
    assert any("injuring 11" in c.quote for c in answer.citations)


def test_follow_up_uses_the_conversation(real: Assistant):
    history = [
        {"role": "user", "content": "When were the sanctions lifted?"},
        {"role": "assistant", "content": "The sanctions were lifted in July 2016 [1]."},
    ]
    answer = real.ask("What did Erdogan offer to pay at that time?", history)
    assert not answer.refused and "compensation" in answer.text
    assert any(c.name == SANCTIONS_FILE and "compensation" in c.quote for c in answer.citations)


def test_relative_date_of_the_swedish_article_is_resolved(real: Assistant):
    # "den 27 juni förra året" in an article dated 2017-03 is 27 June 2016
    answer = real.ask("In what year did Erdogan send his letter of condolence to Putin?")
    assert not answer.refused and "2016" in answer.text
    assert any(c.name == SWEDISH_FILE and "brev" in c.quote for c in answer.citations)


def test_swedish_question_finds_the_english_number(real: Assistant):
    answer = real.ask("Hur många skadades i flyganfallet vid al-Bab?")
    assert not answer.refused and answer.language == "sv"
    assert "11" in answer.text
    assert any(c.name == SANCTIONS_FILE and "injuring 11" in c.quote for c in answer.citations)


def test_swedish_refusal(real: Assistant):
    answer = real.ask("Vad är huvudstaden i Frankrike?")
    assert answer.refused and answer.text == "Det kan jag inte svara på utifrån dokumenten."


@pytest.mark.parametrize(
    "question",
    [
        # every word is near the documents' topics and no name is unknown to them: the evidence
        # score and the check must refuse, not the unknown-name rule
        "What did the Turkish president eat for breakfast after the sanctions?",
        "How many tourists visited Turkey in 2016?",
    ],
)
def test_questions_near_the_topic_that_the_seeds_do_not_answer_are_refused(
    real: Assistant, question: str
):
    answer = real.ask(question)
    assert answer.refused and answer.text == REFUSAL_EN and not answer.citations


def test_a_month_and_year_asked_about_are_answered_from_the_resolved_relative_date(
    real: Assistant,
):
    # "I februari i år" in an article dated 2017-03 is February 2017; the English article's
    # count has no date, so it may only come as "another source" (tests/assistant/test_compose.py
    # covers that composition).
    answer = real.ask("How many Turkish soldiers were killed in February 2017?")
    assert not answer.refused, answer.text
    assert any(c.name == SWEDISH_FILE and "februari" in c.quote for c in answer.citations)


def test_cli_ask_json_indexes_seeds_on_first_use(tmp_path: Path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "cli-data"), "HF_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)  # the CLI must quiet the libraries itself
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "When were the sanctions lifted?", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "indexed the bundled seeds" in proc.stderr
    assert "Loading weights" not in proc.stderr  # no library progress bars on a user's terminal
    data = json.loads(proc.stdout)
    assert data["refused"] is False and "July 2016" in data["answer"]
    c = data["citations"][0]
    assert c["source"].endswith(SANCTIONS_FILE) and "July 2016" in c["quote"]
    assert set(data["timings"]) >= {"retrieve_s", "generate_s", "total_s"}


def test_cli_serve_seeds_and_serves_the_page(tmp_path: Path):
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "serve-data"), "HF_HUB_OFFLINE": "1"}
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 300
        page = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode("utf-8", "replace")
                    break
            except OSError:
                time.sleep(1)
        log.seek(0)
        output = log.read()
        assert page, f"the page never came up:\n{output}"
        assert "indexed the bundled seeds" in output
        assert "<html" in page.lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
