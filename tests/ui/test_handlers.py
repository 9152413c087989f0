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
    return Handlers(assistant, uploads_dir=tmp_path / "uploads", upload_cache=tmp_path / "gradio")


def visitor(session: str = "s1", user: str | None = None) -> gr.Request:
    """A request as Gradio passes it: the browser session, and the user when logged in."""
    return gr.Request(username=user, session_hash=session)


def shown(output) -> str:
    """The last chat message of one handler output (textbox, chatbot, session, status)."""
    return output[1][-1]["content"]


# -- chat -------------------------------------------------------------------------------------
def test_only_the_checked_answer_is_ever_shown(handlers, fake_llm):
    fake_llm.queue("The sanctions were lifted in July 2016 [1]. Putin visited Paris in 1999 [1].")
    outputs = list(handlers.respond(SANCTIONS, ChatSession()))

    # Before the check: a neutral "checking" state, never a word of the draft.
    for output in outputs[:-1]:
        assert 'class="answer pending"' in shown(output)
        assert "Paris" not in shown(output) and "July" not in shown(output)
    box, messages, session, status = outputs[-1]
    assert box == ""
    assert [m["role"] for m in messages] == ["user", "assistant"]
    final = shown(outputs[-1])
    assert "July 2016" in final and "Paris" not in final  # the unsupported sentence is gone
    assert "1 draft sentence was removed" in final
    assert '<a class="cite" href="#src-t1-1"' in final
    assert f"<mark>{SANCTIONS_QUOTE}" in final
    assert "004_fc025db9153bd9ca.txt" in final
    assert session.history[0] == {"role": "user", "content": SANCTIONS}
    assert session.history[1]["content"].startswith("The sanctions were lifted in July 2016 [1]")
    assert "last answer" in status and "2 documents" in status


def test_a_huge_question_gets_the_limit_and_the_chat_goes_on(handlers, fake_llm):
    fake_llm.queue("The sanctions were lifted in July 2016 [1].")
    first = list(handlers.respond(SANCTIONS, ChatSession()))[-1][2]
    box, messages, session, _ = list(handlers.respond("w" * 100_000, first))[-1]

    assert 'role="alert"' in messages[-1]["content"]
    assert "100,000 characters" in messages[-1]["content"]
    assert "limit is 1,000" in messages[-1]["content"]
    assert box == ""  # not given back: the box would refuse it again
    assert session.history == first.history  # the conversation so far is kept
    assert len(fake_llm.prompts) == 1  # the model never saw it


def test_refusal_is_shown_and_needs_no_llm(handlers, fake_llm):
    final = list(handlers.respond("What is the capital of Peru?", ChatSession()))[-1]
    assert 'class="answer refused"' in shown(final)
    assert REFUSAL_EN in shown(final)
    assert "Why: the documents do not mention peru." in shown(final)
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
    fake_llm.queue(
        "The sanctions were lifted in July 2016 [1].", "The strike near al-Bab injured 11 [1]."
    )
    a = handlers.respond(SANCTIONS, ChatSession())
    b = handlers.respond(INJURED, ChatSession())
    assert 'class="answer pending"' in shown(next(a)) and "pending" in shown(next(b))
    last_a, last_b = list(a)[-1], list(b)[-1]  # a reaches the LLM first, then b

    assert "July 2016" in shown(last_a) and "injured" not in shown(last_a)
    assert "injuring 11" in shown(last_b) and "July" not in shown(last_b)  # its answer or quote
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


def uploaded(handlers, request=None) -> list[str]:
    """File names in the uploads folder of whoever sent request."""
    folder = handlers.uploads_dir / handlers.owner(request)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_upload_indexes_good_files_and_names_the_bad_one(handlers, tmp_path):
    files = [
        write(tmp_path / "gradio" / "h1" / "fika.txt", GOOD),
        write(tmp_path / "gradio" / "h2" / "bad.txt", BROKEN),
    ]
    cleared, message, rows, choices, status = handlers.upload(files, ChatSession(), visitor())

    assert cleared is None
    assert "Indexed <code>fika.txt</code>" in message
    assert "<code>bad.txt</code> was not indexed: not UTF-8 text" in message
    # The seeds (indexed before) are all still there.
    assert names(rows) == ["000_de2dd51f3474cc85.txt", "004_fc025db9153bd9ca.txt", "fika.txt"]
    assert rows[2][1:5] == ["Fika notes", "", "English", 1]
    # Only what this visitor uploaded may be removed by them: not the seeds.
    assert [label for label, _ in choices["choices"]] == ["fika.txt — Fika notes"]
    assert "3 documents, 12 chunks" in status
    assert uploaded(handlers, visitor()) == ["fika.txt"]
    # Gradio's copies are gone, folders included.
    assert list((tmp_path / "gradio").iterdir()) == []


def test_refused_types_are_named_and_deleted_from_gradios_cache(handlers, assistant, tmp_path):
    exe = write(tmp_path / "gradio" / "h1" / "setup.exe", b"MZ\x90\x00 binary")
    _, message, rows, _, _ = handlers.upload([exe], ChatSession(), visitor())

    assert "<code>setup.exe</code> was not indexed: only txt, md, html, htm, pdf files" in message
    assert not Path(exe).exists() and not (tmp_path / "gradio" / "h1").exists()
    assert len(rows) == 2 and uploaded(handlers, visitor()) == []


def test_files_outside_gradios_cache_are_never_deleted(handlers, tmp_path):
    mine = write(tmp_path / "home" / "fika.txt", GOOD)
    handlers.upload([mine], ChatSession(), visitor())
    assert Path(mine).read_bytes() == GOOD


def limit_uploads(assistant, **limits) -> None:
    ui = assistant.settings.ui.model_copy(update=limits)
    assistant.settings = assistant.settings.model_copy(update={"ui": ui})


def test_size_limits_per_file_and_per_upload(handlers, assistant, tmp_path):
    limit_uploads(assistant, upload_mb=0.00012)  # 120 bytes
    big = write(tmp_path / "gradio" / "big.txt", GOOD * 40)
    small = [write(tmp_path / "gradio" / f"n{i}.txt", GOOD[:-1] + b"!\n") for i in range(2)]
    _, message, _, _, _ = handlers.upload([big, *small], ChatSession(), visitor())

    assert "<code>big.txt</code> was not indexed: is 3.16 kB; files may be at most 120 bytes" in (
        message
    )
    assert "Indexed <code>n0.txt</code>" in message
    assert "<code>n1.txt</code> was not indexed: the upload would pass 120 bytes" in message
    assert uploaded(handlers, visitor()) == ["n0.txt"]
    assert list((tmp_path / "gradio").iterdir()) == []  # refused ones are deleted too


def test_file_count_limit(handlers, assistant, tmp_path):
    limit_uploads(assistant, upload_files=2)
    files = [write(tmp_path / "up" / f"n{i}.txt", GOOD + bytes([65 + i])) for i in range(3)]
    _, message, _, _, _ = handlers.upload(files, ChatSession(), visitor())
    assert "<code>n2.txt</code> was not indexed: one upload takes at most 2 files" in message
    assert uploaded(handlers, visitor()) == ["n0.txt", "n1.txt"]


def test_two_visitors_uploading_the_same_name_keep_both(handlers, assistant, tmp_path):
    ada, bo = visitor("session-a"), visitor("session-b")
    handlers.upload([write(tmp_path / "a" / "report.txt", GOOD)], ChatSession(), ada)
    other = b"Lab notes\n\nThe lab in Lund runs its backup every Friday at 18:00 in room C3.\n"
    handlers.upload([write(tmp_path / "b" / "report.txt", other)], ChatSession(), bo)

    reports = [d for d in assistant.sources() if d.name == "report.txt"]
    assert len(reports) == 2 and {d.title for d in reports} == {"Fika notes", "Lab notes"}
    assert (handlers.uploads_dir / handlers.owner(ada) / "report.txt").read_bytes() == GOOD
    assert (handlers.uploads_dir / handlers.owner(bo) / "report.txt").read_bytes() == other


def test_a_logged_in_user_owns_uploads_across_sessions(handlers, tmp_path):
    handlers.upload([write(tmp_path / "a" / "fika.txt", GOOD)], ChatSession(), visitor("s1", "ada"))
    _, choices = handlers.documents(visitor("s2", "ada"))
    assert [label for label, _ in choices["choices"]] == ["fika.txt — Fika notes"]
    assert handlers.documents(visitor("s2", "bo"))[1]["choices"] == []


def test_reupload_that_fails_keeps_the_indexed_version(handlers, assistant, tmp_path):
    handlers.upload([write(tmp_path / "a" / "fika.txt", GOOD)], ChatSession(), visitor())
    before = {d.doc_id: d for d in assistant.sources()}
    _, message, rows, _, _ = handlers.upload(
        [write(tmp_path / "b" / "fika.txt", BROKEN)], ChatSession(), visitor()
    )

    assert "fika.txt</code> was not indexed" in message
    assert {d.doc_id: d for d in assistant.sources()} == before
    assert (handlers.uploads_dir / handlers.owner(visitor()) / "fika.txt").read_bytes() == GOOD
    assert uploaded(handlers, visitor()) == ["fika.txt"]


def test_upload_reports_progress_per_file(handlers, tmp_path):
    seen = []
    handlers.upload(
        [write(tmp_path / "x" / "fika.txt", GOOD)],
        ChatSession(),
        visitor(),
        progress=lambda value, desc=None, unit=None: seen.append((value, desc)),
    )
    assert seen == [((0, 1), "Indexing fika.txt"), ((1, 1), "Indexed")]


def test_upload_without_files_asks_for_some(handlers):
    assert "Choose files" in handlers.upload(None, ChatSession(), visitor())[1]


def test_remove_drops_the_document_and_its_uploaded_copy(handlers, assistant, tmp_path):
    handlers.upload([write(tmp_path / "a" / "fika.txt", GOOD)], ChatSession(), visitor())
    doc_id = next(d.doc_id for d in assistant.sources() if d.name == "fika.txt")
    message, rows, choices, status = handlers.remove(doc_id, ChatSession(), visitor())

    assert "Removed fika.txt (1 chunks)" in message
    assert "fika.txt" not in names(rows) and len(rows) == 2
    assert choices["value"] is None and choices["choices"] == []
    assert uploaded(handlers, visitor()) == []
    assert "2 documents" in status


def test_others_cannot_remove_what_they_did_not_upload(handlers, assistant, tmp_path):
    handlers.upload([write(tmp_path / "a" / "fika.txt", GOOD)], ChatSession(), visitor("s1"))
    fika = next(d for d in assistant.sources() if d.name == "fika.txt")
    seed = next(d for d in assistant.sources() if d.name != "fika.txt")

    for doc in (fika, seed):
        message = handlers.remove(doc.doc_id, ChatSession(), visitor("s2"))[0]
        assert 'role="alert"' in message and "was not uploaded by you" in message
    assert len(assistant.sources()) == 3
    assert uploaded(handlers, visitor("s1")) == ["fika.txt"]


def test_an_admin_server_lets_anyone_remove_anything(assistant, tmp_path):
    admin = Handlers(assistant, uploads_dir=tmp_path / "uploads", admin=True)
    seed = assistant.sources()[0]
    assert len(admin.documents(visitor("anyone"))[1]["choices"]) == 2
    message = admin.remove(seed.doc_id, ChatSession(), visitor("anyone"))[0]
    assert "Removed" in message
    assert Path(seed.source).exists()  # a seed's file is not the page's to delete
    assert seed.doc_id not in {d.doc_id for d in assistant.sources()}


@pytest.mark.parametrize(
    ("doc_id", "expected"), [(None, "Choose a document"), ("nope", "nope is not indexed")]
)
def test_remove_errors_are_shown(handlers, doc_id, expected):
    message = handlers.remove(doc_id, ChatSession(), visitor())[0]
    assert 'role="alert"' in message and expected in message


def test_the_page_shows_no_server_paths(handlers, assistant, fake_llm, tmp_path):
    handlers.upload([write(tmp_path / "a" / "fika.txt", GOOD)], ChatSession(), visitor())
    fake_llm.queue("The office holds fika every Thursday [1].")
    final = list(handlers.respond("When does the office hold fika?", ChatSession()))[-1]
    html = shown(final) + final[3] + handlers.documents(visitor())[0].__repr__()
    assert "fika.txt" in html
    for secret in (str(tmp_path), str(handlers.uploads_dir), str(assistant.settings.data_dir)):
        assert secret not in html

    def broken(question, history=None):
        raise ModelError(f"cannot load {tmp_path}/models/x.gguf: delete it and rerun setup")
        yield  # pragma: no cover

    assistant.stream = broken
    error = shown(list(handlers.respond("When?", ChatSession()))[-1])
    assert "x.gguf" in error and str(tmp_path) not in error


# -- the page ---------------------------------------------------------------------------------
def test_page_has_examples_named_endpoints_and_no_web_fonts(assistant):
    demo = build_app(assistant)
    chatbot = next(b for b in demo.blocks.values() if isinstance(b, gr.Chatbot))
    assert [e["text"] for e in chatbot.examples] == list(EXAMPLES)
    api_names = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert {"ask", "upload", "remove"} <= api_names
    assert not [f for f in THEME._font + THEME._font_mono if isinstance(f, gr.themes.GoogleFont)]
    assert not [f for f in THEME._font + THEME._font_mono if isinstance(f, gr.themes.LocalFont)]


def test_page_limits_questions_and_leaves_upload_types_to_the_handler(assistant):
    demo = build_app(assistant)
    box = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "question")
    upload = next(b for b in demo.blocks.values() if isinstance(b, gr.File))
    assert box.max_length == assistant.settings.limits.question_chars
    assert "txt, md, html, pdf" in upload.label
    # Types are checked by Handlers.screen, which deletes what it refuses; Gradio's own check
    # would leave a refused file in its cache.
    assert upload.file_types is None


def test_launch_takes_host_port_and_auth_from_settings(monkeypatch, tmp_path, assistant):
    seen = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: seen.update(kw, demo=self))
    monkeypatch.setattr(app_module, "_warm_up", lambda a: None)
    assistant.settings = Settings(
        data_dir=tmp_path, ui={"host": "127.0.0.2", "port": 7999, "auth": "me:pw", "queue_size": 5}
    )
    launch(assistant, prevent_thread_lock=True)
    assert (seen["server_name"], seen["server_port"], seen["auth"]) == (
        "127.0.0.2",
        7999,
        ("me", "pw"),
    )
    assert seen["theme"] is THEME and seen["share"] is False and seen["run_history"] is False
    # A bounded queue: the sixth waiting request is turned away instead of waiting for minutes.
    assert seen["demo"]._queue.max_size == 5
    assert seen["max_file_size"] == "64mb"

    launch(assistant, host="127.0.0.1", port=0, auth=("a", "b"))
    assert (seen["server_name"], seen["server_port"], seen["auth"]) == ("127.0.0.1", 0, ("a", "b"))
