"""ui/app.py handlers, called directly with the fake LLM, embedder and Chroma (no server)."""

from pathlib import Path

import gradio as gr
import pytest

import ui.app as app_module
from assistant import Assistant, Settings
from assistant.errors import ModelError
from assistant.settings import REFUSAL_EN
from index.store import ChunkStore
from ui.app import EXAMPLES, THEME, ChatSession, Handlers, build_app, launch

SANCTIONS = "When were the sanctions lifted?"
INJURED = "How many were injured in the airstrike near al-Bab?"
SANCTIONS_QUOTE = "The sanctions were eventually lifted in July 2016"


@pytest.fixture
def assistant(settings, fake_llm, fake_embedder, chroma_client, unique_collection):
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    a = Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)
    a.ensure_seeded()
    return a


@pytest.fixture
def handlers(assistant, tmp_path):
    return Handlers(assistant, uploads_dir=tmp_path / "uploads")


def shown(output) -> str:
    """The last chat message of one handler output (textbox, chatbot, session, status)."""
    return output[1][-1]["content"]


# -- chat -------------------------------------------------------------------------------------
def test_answer_streams_then_the_checked_answer_replaces_the_draft(handlers, fake_llm):
    fake_llm.queue("The sanctions were lifted in July 2016 [1]. Putin visited Paris in 1999 [1].")
    outputs = list(handlers.respond(SANCTIONS, ChatSession()))

    drafts = [shown(o) for o in outputs[:-1]]
    assert all('class="answer draft"' in d for d in drafts)
    assert any("Paris" in d for d in drafts)  # the unchecked draft streamed in
    assert len({d for d in drafts}) > 2  # token by token, not all at once
    box, messages, session, status = outputs[-1]
    assert box == ""
    assert [m["role"] for m in messages] == ["user", "assistant"]
    final = shown(outputs[-1])
    assert "July 2016" in final and "Paris" not in final  # the unsupported sentence is gone
    assert '<a class="cite" href="#src-t1-1"' in final
    assert f"<mark>{SANCTIONS_QUOTE}" in final
    assert "004_fc025db9153bd9ca.txt" in final
    assert session.history[0] == {"role": "user", "content": SANCTIONS}
    assert session.history[1]["content"].startswith("The sanctions were lifted in July 2016 [1]")
    assert "last answer" in status and "2 documents" in status


def test_refusal_is_shown_and_needs_no_llm(handlers, fake_llm):
    final = list(handlers.respond("What is the capital of Peru?", ChatSession()))[-1]
    assert 'class="answer refused"' in shown(final)
    assert REFUSAL_EN in shown(final)
    assert fake_llm.prompts == []


def test_follow_up_sends_the_plain_history_and_gets_new_anchors(handlers, assistant, fake_llm):
    calls = []
    stream = assistant.stream

    def spy(question, history=None):
        calls.append((question, history))
        return stream(question, history)

    assistant.stream = spy
    fake_llm.queue("The sanctions were lifted in July 2016 [1].")
    first = list(handlers.respond(SANCTIONS, ChatSession()))[-1][2]
    fake_llm.queue("When were the Russian sanctions on Turkey lifted?", "In July 2016 [1].")
    second = list(handlers.respond("And the Russian ones?", first))[-1]

    assert calls[1] == ("And the Russian ones?", list(first.history))
    assert "<" not in str(calls[1][1])  # the API sees text, not the chat's HTML
    assert SANCTIONS in fake_llm.prompts[1]  # the condense prompt saw the first turn
    assert 'href="#src-t2-1"' in shown(second) and 'id="src-t2-1"' in shown(second)
    assert len(second[1]) == 4 and len(second[2].history) == 4


def test_two_sessions_interleaved_keep_their_own_answers(handlers, fake_llm):
    fake_llm.queue("The sanctions were lifted in July 2016 [1].", "Eleven were injured [1].")
    a = handlers.respond(SANCTIONS, ChatSession())
    b = handlers.respond(INJURED, ChatSession())
    next(a), next(b)
    next(a), next(b)  # each has reached the LLM, in this order
    last_a, last_b = list(a)[-1], list(b)[-1]

    assert "July 2016" in shown(last_a) and "injured" not in shown(last_a)
    assert "Eleven were injured" in shown(last_b) and "July" not in shown(last_b)
    assert [m["content"] for m in last_a[2].history][0] == SANCTIONS
    assert [m["content"] for m in last_b[2].history][0] == INJURED


def test_model_error_is_shown_and_kept_out_of_the_history(handlers, assistant):
    def broken(question, history=None):
        yield "The sanc"
        raise ModelError("the local LLM stayed busy: restart the assistant")

    assistant.stream = broken
    box, messages, session, _ = list(handlers.respond(SANCTIONS, ChatSession()))[-1]
    assert 'role="alert"' in messages[-1]["content"]
    assert "restart the assistant" in messages[-1]["content"]
    assert box == SANCTIONS  # given back for a retry
    assert session.history == ()


def test_unexpected_error_is_shown_too(handlers, fake_llm):
    # The fake LLM has no reply queued, so it raises AssertionError.
    final = list(handlers.respond(SANCTIONS, ChatSession()))[-1]
    assert "unexpected error" in shown(final)


def test_empty_question_does_nothing(handlers, assistant):
    assistant.stream = None  # would fail if called
    session = ChatSession()
    assert list(handlers.respond("   ", session)) == [("", [], session, handlers.status())]


def test_example_click_fills_in_its_text(handlers):
    event = gr.SelectData(None, {"index": 1, "value": {"text": EXAMPLES[1]}})
    assert handlers.pick_example(event) == "Hur många skadades i flyganfallet vid al-Bab?"


def test_new_chat_forgets_the_conversation(handlers):
    messages, session, status = handlers.new_chat()
    assert messages == [] and session == ChatSession() and "last answer" not in status


# -- documents --------------------------------------------------------------------------------
def write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


GOOD = b"Fika notes\n\nThe Uppsala office holds fika every Thursday at 15:00 in room B12.\n"
BROKEN = b"\xff\xfe\x00\x01 binary \x00 junk"


def names(rows) -> list[str]:
    return [row[0] for row in rows]


def test_upload_indexes_good_files_and_names_the_bad_one(handlers, tmp_path):
    files = [
        write(tmp_path / "gradio" / "fika.txt", GOOD),
        write(tmp_path / "gr" / "bad.txt", BROKEN),
    ]
    cleared, message, rows, choices, status = handlers.upload(files, ChatSession())

    assert cleared is None
    assert "Indexed <code>fika.txt</code>" in message
    assert "<code>bad.txt</code> was not indexed: not UTF-8 text" in message
    # The seeds (indexed before) are all still there.
    assert names(rows) == ["000_de2dd51f3474cc85.txt", "004_fc025db9153bd9ca.txt", "fika.txt"]
    assert rows[2][1:5] == ["Fika notes", "", "English", 1]
    assert "fika.txt — Fika notes" in [label for label, _ in choices["choices"]]
    assert "3 documents, 12 chunks" in status
    assert sorted(p.name for p in handlers.uploads_dir.iterdir()) == ["fika.txt"]


def test_reupload_that_fails_keeps_the_indexed_version(handlers, assistant, tmp_path):
    handlers.upload([write(tmp_path / "a" / "fika.txt", GOOD)], ChatSession())
    before = {d.doc_id: d for d in assistant.sources()}
    _, message, rows, _, _ = handlers.upload(
        [write(tmp_path / "b" / "fika.txt", BROKEN)], ChatSession()
    )

    assert "fika.txt</code> was not indexed" in message
    assert {d.doc_id: d for d in assistant.sources()} == before
    assert (handlers.uploads_dir / "fika.txt").read_bytes() == GOOD
    assert [p.name for p in handlers.uploads_dir.iterdir()] == ["fika.txt"]


def test_upload_reports_progress_per_file(handlers, tmp_path):
    seen = []
    handlers.upload(
        [write(tmp_path / "x" / "fika.txt", GOOD)],
        ChatSession(),
        progress=lambda value, desc=None, unit=None: seen.append((value, desc)),
    )
    assert seen == [((0, 1), "Indexing fika.txt"), ((1, 1), "Indexed")]


def test_upload_without_files_asks_for_some(handlers):
    assert "Choose files" in handlers.upload(None, ChatSession())[1]


def test_remove_drops_the_document_and_its_uploaded_copy(handlers, assistant, tmp_path):
    handlers.upload([write(tmp_path / "a" / "fika.txt", GOOD)], ChatSession())
    doc_id = next(d.doc_id for d in assistant.sources() if d.name == "fika.txt")
    message, rows, choices, status = handlers.remove(doc_id, ChatSession())

    assert "Removed fika.txt (1 chunks)" in message
    assert "fika.txt" not in names(rows) and len(rows) == 2
    assert choices["value"] is None and len(choices["choices"]) == 2
    assert not (handlers.uploads_dir / "fika.txt").exists()
    assert "2 documents" in status


def test_removing_a_seed_keeps_the_seed_file(handlers, assistant):
    seed = assistant.sources()[0]
    handlers.remove(seed.doc_id, ChatSession())
    assert Path(seed.source).exists()
    assert seed.doc_id not in {d.doc_id for d in assistant.sources()}


@pytest.mark.parametrize(("doc_id", "expected"), [(None, "Choose a document"), ("nope", "nope")])
def test_remove_errors_are_shown(handlers, doc_id, expected):
    message = handlers.remove(doc_id, ChatSession())[0]
    assert 'role="alert"' in message and expected in message


# -- the page ---------------------------------------------------------------------------------
def test_page_has_examples_named_endpoints_and_no_web_fonts(assistant):
    demo = build_app(assistant)
    chatbot = next(b for b in demo.blocks.values() if isinstance(b, gr.Chatbot))
    assert [e["text"] for e in chatbot.examples] == list(EXAMPLES)
    api_names = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert {"ask", "upload", "remove"} <= api_names
    assert not [f for f in THEME._font + THEME._font_mono if isinstance(f, gr.themes.GoogleFont)]
    assert not [f for f in THEME._font + THEME._font_mono if isinstance(f, gr.themes.LocalFont)]


def test_launch_takes_host_port_and_auth_from_settings(monkeypatch, tmp_path, assistant):
    seen = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: seen.update(kw))
    monkeypatch.setattr(app_module, "_warm_up", lambda a: None)
    assistant.settings = Settings(
        data_dir=tmp_path, ui={"host": "127.0.0.2", "port": 7999, "auth": "me:pw"}
    )
    launch(assistant, prevent_thread_lock=True)
    assert (seen["server_name"], seen["server_port"], seen["auth"]) == (
        "127.0.0.2",
        7999,
        ("me", "pw"),
    )
    assert seen["theme"] is THEME and seen["share"] is False and seen["run_history"] is False

    launch(assistant, host="127.0.0.1", port=0, auth=("a", "b"))
    assert (seen["server_name"], seen["server_port"], seen["auth"]) == ("127.0.0.1", 0, ("a", "b"))
