"""The CLI is thin: it formats what the API returns and turns library errors into messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import cli
from assistant.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli.main, list(args), input=input)


def test_help_has_examples():
    result = run("-h")
    assert result.exit_code == 0 and "Examples:" in result.output
    for command in ("ingest", "ask", "chat", "remove", "sources", "serve", "eval"):
        assert command in result.output
        sub = run(command, "-h")
        assert sub.exit_code == 0, command


def test_ask_indexes_seeds_when_empty_and_prints_sources(fake_assistant, fake_llm):
    fake_llm.queue("The sanctions were lifted in July 2016 [1].")
    result = run("ask", "When were the sanctions lifted?")
    assert result.exit_code == 0, result.output
    assert "indexed the bundled seeds" in result.output
    assert "The sanctions were lifted in July 2016 [1]." in result.output
    assert '[1] 004_fc025db9153bd9ca.txt — "The sanctions were eventually lifted' in result.output


def test_ask_json_is_exactly_one_object(fake_assistant, fake_llm):
    fake_assistant.ensure_seeded()
    fake_llm.queue("The sanctions were lifted in July 2016 [1].")
    result = CliRunner().invoke(cli.main, ["ask", "When were the sanctions lifted?", "--json"])
    data = json.loads(result.stdout)
    assert data["answer"].endswith("[1].") and data["refused"] is False
    assert data["citations"][0]["quote"].startswith("The sanctions were eventually lifted")


def test_ingest_reports_bad_files_and_keeps_going(fake_assistant, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    good = tmp_path / "good.md"
    good.write_text("# Notes\n\nThe meeting was held on 3 May 2020 in Oslo.\n", encoding="utf-8")
    result = run("ingest", str(bad), str(good), str(tmp_path / "missing.pdf"))
    assert result.exit_code == 1  # any failed file fails the run; the good one is indexed
    assert "added" in result.output and "good.md" in result.output
    assert "bad.txt" in result.output and "missing.pdf" in result.output
    assert [d.name for d in fake_assistant.sources()] == ["good.md"]


def test_ingest_only_bad_files_fails(fake_assistant, tmp_path):
    result = run("ingest", str(tmp_path / "missing.txt"))
    assert result.exit_code == 1 and "no such file" in result.output


def test_ingest_names_a_symlink_loop_and_exits_1(fake_assistant, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Notes\n\nThe meeting was held in Oslo.\n", encoding="utf-8")
    (docs / "again").symlink_to(docs, target_is_directory=True)
    result = run("ingest", str(docs))
    assert result.exit_code == 1, result.output
    assert "failed    again: symlink loop back to" in result.output.replace(str(docs) + "/", "")
    assert [d.name for d in fake_assistant.sources()] == ["good.md"]


def test_sources_and_remove(fake_assistant):
    fake_assistant.ensure_seeded()
    listed = run("sources")
    assert "000_de2dd51f3474cc85.txt\t2017-03\tsv" in listed.output
    removed = run("remove", "000_de2dd51f3474cc85.txt")
    assert removed.exit_code == 0 and "removed" in removed.output
    again = run("remove", "000_de2dd51f3474cc85.txt")
    assert again.exit_code == 1 and "assistant sources" in again.output
    data = json.loads(run("sources", "--json").output)
    assert [d["title"] for d in data] == [
        "Ankara and Moscow Pledge Closer Ties After Russian Friendly Fire Kills 3"
    ]


def test_chat_keeps_history_and_has_commands(fake_assistant, fake_llm):
    fake_assistant.ensure_seeded()
    fake_llm.queue(
        "Moscow placed numerous sanctions on Ankara [1].",
        "When did the sanctions on Ankara get lifted?",  # the follow-up rewrite
        "The sanctions were lifted in July 2016 [1].",
    )
    result = run(
        "chat",
        input="What did Moscow do to Ankara?\nWhen were they lifted?\n/sources\n/reset\n/quit\n",
    )
    assert result.exit_code == 0, result.output
    assert "understood as: When did the sanctions on Ankara get lifted?" in result.output
    assert "July 2016 [1]." in result.output
    assert "(new conversation)" in result.output
    # the rewrite prompt saw the first exchange
    assert "What did Moscow do to Ankara?" in fake_llm.prompts[1]


def test_bad_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", "localhost:8000")
    result = run("sources")
    assert result.exit_code == 1
    assert "chroma_url must start with http" in result.output


def test_a_file_name_with_a_newline_stays_on_its_line(fake_assistant, tmp_path):
    odd = tmp_path / "two\nlines.txt"
    odd.write_text("Notes\n\nThe meeting was held on 3 May 2020 in Oslo.\n", encoding="utf-8")
    result = run("ingest", str(odd))
    assert result.exit_code == 0, result.output
    assert "added     " + str(tmp_path) + "/two\\nlines.txt\n" in result.output
    listed = run("sources").output.splitlines()
    assert listed[0].startswith("two\\nlines.txt\t") and len(listed) == 1


def test_chat_never_prints_the_draft(fake_assistant, fake_llm):
    fake_assistant.ensure_seeded()
    fake_llm.queue("The sanctions were lifted in July 2016 [1]. Paris hosted talks in 1999 [1].")
    result = run("chat", input="When were the sanctions lifted?\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "July 2016 [1]." in result.output
    assert "Paris" not in result.output  # removed by the check, and never streamed either


def test_ask_json_counts_removed_sentences_without_showing_them(fake_assistant, fake_llm):
    fake_assistant.ensure_seeded()
    fake_llm.queue("The sanctions were lifted in July 2016 [1]. Paris hosted talks in 1999 [1].")
    result = run("ask", "When were the sanctions lifted?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert "July 2016" in answer["answer"] and answer["removed"] == 1
    assert "Paris" not in result.output


HUGE = "w" * 100_000


def test_ask_with_a_huge_question_says_the_limit(fake_assistant, fake_llm):
    fake_assistant.ensure_seeded()
    result = run("ask", HUGE)
    assert result.exit_code == 1
    assert "100,000 characters long and the limit is 1,000" in result.output
    assert "Traceback" not in result.output and fake_llm.prompts == []


def test_chat_survives_a_huge_question_and_keeps_the_conversation(fake_assistant, fake_llm):
    fake_assistant.ensure_seeded()
    fake_llm.queue(
        "Moscow placed numerous sanctions on Ankara [1].",
        "When did the sanctions on Ankara get lifted?",
        "The sanctions were lifted in July 2016 [1].",
    )
    questions = ["What did Moscow do to Ankara?", HUGE, "When were they lifted?", "/quit"]
    result = run("chat", input="\n".join(questions) + "\n")
    assert result.exit_code == 0, result.output
    assert "error: the question is 100,000 characters long" in result.output
    assert "July 2016 [1]." in result.output
    assert "What did Moscow do to Ankara?" in fake_llm.prompts[1]  # history kept


def test_unexpected_errors_are_one_line_without_debug(fake_assistant, monkeypatch):
    def boom():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(fake_assistant, "sources", boom)
    result = run("sources")
    assert result.exit_code == 1
    assert "unexpected error (RuntimeError: disk on fire)" in result.output
    assert "--debug" in result.output and "Traceback" not in result.output
    assert isinstance(run("--debug", "sources").exception, RuntimeError)


def test_chat_survives_an_unexpected_error(fake_assistant, fake_llm):
    fake_assistant.ensure_seeded()
    # No reply queued for the first question: the fake LLM raises AssertionError.
    result = run("chat", input="When were the sanctions lifted?\n/sources\n/quit\n")
    assert result.exit_code == 0
    assert "error: unexpected error (AssertionError" in result.output
    assert "(no sources yet)" in result.output


# -- serve --------------------------------------------------------------------------------------
@pytest.fixture
def launched(fake_assistant, monkeypatch):
    import ui.app

    seen: dict = {}
    monkeypatch.setattr(ui.app, "launch", lambda assistant, **kw: seen.update(kw))
    fake_assistant.ensure_seeded()
    return seen


def test_serve_refuses_an_open_host_without_a_password(launched):
    result = run("serve", "--host", "0.0.0.0")
    assert result.exit_code == 2
    assert "ASSISTANT_UI__AUTH" in result.output and "--auth-file" in result.output
    assert launched == {}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_serve_on_loopback_needs_no_password(launched, host):
    assert run("serve", "--host", host).exit_code == 0
    assert launched["host"] == host and launched["auth"] is None


def test_serve_open_host_with_insecure(launched):
    assert run("serve", "--host", "0.0.0.0", "--insecure").exit_code == 0
    assert launched["auth"] is None and launched["admin"] is False


def test_serve_reads_the_password_from_the_environment(launched, fake_assistant, monkeypatch):
    monkeypatch.setenv("ASSISTANT_UI__AUTH", "ada:s3cret")
    fake_assistant.settings = load_settings(data_dir=fake_assistant.settings.data_dir)
    result = run("serve", "--host", "0.0.0.0", "--admin")
    assert result.exit_code == 0, result.output
    assert launched["auth"] == ("ada", "s3cret") and launched["admin"] is True


def test_serve_reads_the_password_from_a_file(launched, tmp_path):
    secret = tmp_path / "auth"
    secret.write_text("\nada:s3cret:with:colons\n", encoding="utf-8")
    assert run("serve", "--host", "0.0.0.0", "--auth-file", str(secret)).exit_code == 0
    assert launched["auth"] == ("ada", "s3cret:with:colons")
    secret.write_text("no-colon\n", encoding="utf-8")
    result = run("serve", "--auth-file", str(secret))
    assert result.exit_code == 2 and "user:password" in result.output


def test_serve_auth_on_the_command_line_warns(launched):
    result = run("serve", "--auth", "ada:pw")
    assert result.exit_code == 0
    assert "warning: --auth shows the password" in result.output
    assert launched["auth"] == ("ada", "pw")


def test_an_index_opened_with_another_embedder_names_the_one_it_was_built_with(
    fake_assistant, fake_llm, monkeypatch
):
    fake_assistant.ensure_seeded()
    other = fake_assistant.settings.model_copy(
        update={"models": fake_assistant.settings.models.model_copy(update={"embedder": "minilm"})}
    )
    monkeypatch.setattr(fake_assistant, "settings", other)
    result = run("ask", "When were the sanctions lifted?")
    assert result.exit_code == 1
    assert "built with the embedder 'gemma'" in result.output
    assert "ASSISTANT_MODELS__EMBEDDER=gemma" in result.output and "Traceback" not in result.output
    assert len(fake_assistant.sources()) == 2  # nothing stored is lost
