"""The Gradio page: a streaming chat with linked, quoted sources and a Documents tab.

Handlers call the Python API (`Assistant`) and format its results with ui/format.py; no
retrieval logic lives here. Per-browser-session state (the conversation) is a gr.State, so two
people chatting at once never see each other's answers; the shared LLM serializes generation.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant import Answer, Assistant, AssistantError, Timings
from assistant.settings import quiet_environment
from index.ingest import IngestProgress

quiet_environment()  # gradio reads GRADIO_ANALYTICS_ENABLED and the HF switches when imported

import gradio as gr  # noqa: E402

from ui import format as fmt  # noqa: E402

log = logging.getLogger(__name__)

EXAMPLES = (
    "When were the sanctions lifted?",
    "Hur många skadades i flyganfallet vid al-Bab?",
)
# System fonts only: the default theme's web fonts would be one more thing to fetch.
THEME = gr.themes.Default(
    font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)
CSS = """
.answer p { margin: 0 0 .4em 0; }
.answer a.cite { color: var(--link-text-color); font-weight: 600; text-decoration: none;
  border-bottom: 1px dotted currentColor; }
.answer.refused p { font-style: italic; opacity: .85; }
.answer.error p { color: var(--error-text-color); }
.sources { margin-top: .6em; border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.sources-head { font-weight: 600; font-size: .9em; margin-bottom: .2em; }
details.source { margin: .3em 0; }
details.source summary { cursor: pointer; font-size: .9em; }
details.source:target, details.source.flash { outline: 2px solid var(--color-accent);
  border-radius: 4px; }
blockquote.src-quote { margin: .2em 0 .2em 1em; font-size: .95em; }
.src-context { font-size: .9em; margin: .3em 0 .3em 1em; padding: .4em .6em;
  border-left: 3px solid var(--color-accent); white-space: normal; }
.answer p.removed { font-size: .8em; opacity: .7; }
.status { font-size: .85em; opacity: .8; }
.ingest ul { list-style: none; padding-left: 0; margin: 0; }
.ingest .error { color: var(--error-text-color); font-weight: 600; }
.ingest .muted { font-size: .85em; opacity: .75; }
"""
# A click on a [n] marker opens and scrolls to source n; capture phase, so it runs before the
# chatbot's own link handling.
HEAD = """<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite");
  const target = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  event.preventDefault();
  target.open = true;
  target.scrollIntoView({block: "nearest", behavior: "smooth"});
  target.classList.add("flash");
  setTimeout(() => target.classList.remove("flash"), 1500);
}, true);
</script>"""
CHAT_CONCURRENCY = 2  # one session retrieves while another generates; the LLM lock serializes


@dataclass(frozen=True, slots=True)
class ChatSession:
    """One browser session's conversation."""

    messages: tuple[dict[str, str], ...] = ()  # what the chatbot shows (HTML)
    history: tuple[dict[str, str], ...] = ()  # plain questions and checked answers, for the API
    timings: Timings | None = None  # of the last answer

    @property
    def turn(self) -> int:
        return len(self.history) // 2 + 1


class Handlers:
    """The page's event handlers, callable without a server (see tests/ui/test_handlers.py)."""

    def __init__(self, assistant: Assistant, uploads_dir: Path | None = None) -> None:
        self.assistant = assistant
        # Uploads are copied here so indexed sources outlive Gradio's temporary files.
        self.uploads_dir = uploads_dir or Path(assistant.settings.data_dir) / "uploads"

    # -- status ------------------------------------------------------------------------------
    def model_label(self) -> str:
        models = self.assistant.settings.models
        if models.llm_url:
            return f"{models.llm_model_name} at {models.llm_url}"
        return models.llm

    def status(self, session: ChatSession | None = None) -> str:
        docs = self.assistant.sources()
        timings = session.timings if session else None
        return fmt.status_line(self.model_label(), len(docs), sum(d.chunks for d in docs), timings)

    # -- chat --------------------------------------------------------------------------------
    def respond(
        self, question: str, session: ChatSession
    ) -> Iterator[tuple[str, list[dict[str, str]], ChatSession, str]]:
        """Stream the draft into the chat, then replace it with the checked answer."""
        question = (question or "").strip()
        if not question:
            yield "", list(session.messages), session, self.status(session)
            return
        key = f"t{session.turn}"
        asked = (*session.messages, {"role": "user", "content": fmt.render_question(question)})
        status = self.status(session)  # once: not per streamed token
        yield "", [*asked, _bot(fmt.render_draft(""))], session, status
        draft = ""
        try:
            for item in self.assistant.stream(question, list(session.history)):
                if isinstance(item, Answer):
                    done = ChatSession(
                        messages=(*asked, _bot(fmt.render_answer(item, key))),
                        history=(
                            *session.history,
                            {"role": "user", "content": question},
                            {"role": "assistant", "content": item.text},
                        ),
                        timings=item.timings,
                    )
                    yield "", list(done.messages), done, self.status(done)
                    return
                draft += item
                yield "", [*asked, _bot(fmt.render_draft(draft))], session, status
        except AssistantError as exc:
            failed = _bot(fmt.render_error(str(exc)))
        except Exception as exc:  # the page must say what went wrong, not spin forever
            log.exception("answering %r failed", question)
            failed = _bot(fmt.render_error(f"unexpected error: {exc}"))
        else:
            failed = _bot(fmt.render_error("the assistant returned no answer; please retry"))
        # A failed turn stays visible but is kept out of the history sent with follow-ups.
        shown = replace(session, messages=(*asked, failed))
        yield question, list(shown.messages), shown, status

    def pick_example(self, event: gr.SelectData) -> str:
        value = event.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")

    def new_chat(self) -> tuple[list[dict[str, str]], ChatSession, str]:
        fresh = ChatSession()
        return [], fresh, self.status(fresh)

    # -- documents ---------------------------------------------------------------------------
    def documents(self) -> tuple[list[list[object]], dict[str, Any]]:
        docs = self.assistant.sources()
        choices = fmt.document_choices(docs)
        return fmt.document_rows(docs), gr.update(choices=choices, value=None)

    def refresh(self, session: ChatSession) -> tuple[str, list[list[object]], dict[str, Any]]:
        rows, choices = self.documents()
        return self.status(session), rows, choices

    def upload(
        self,
        files: Sequence[str] | None,
        session: ChatSession,
        progress: Any = gr.Progress(),  # noqa: B008 - Gradio injects progress through this default
    ) -> tuple[None, str, list[list[object]], dict[str, Any], str]:
        """Copy uploaded files into the uploads folder and index them, reporting each file."""
        paths = [Path(f) for f in files or []]
        if not paths:
            rows, choices = self.documents()
            return None, fmt.notice("Choose files to upload."), rows, choices, self.status(session)
        staged, backups = _stage(paths, self.uploads_dir)

        def report(p: IngestProgress) -> None:
            desc = f"Indexing {p.current}" if p.current else "Indexed"
            progress((p.files_done, p.files_total), desc=desc, unit="files")

        try:
            result = self.assistant.ingest(staged, progress=report)
        except AssistantError as exc:
            _settle(staged, backups, failed=set(staged))
            message = fmt.notice(f"Indexing failed: {exc}", error=True)
        else:
            _settle(staged, backups, failed={Path(path) for path, _ in result.failed})
            for path, reason in result.failed:
                gr.Warning(f"{Path(path).name}: {reason}")
            message = fmt.ingest_message(result)
        rows, choices = self.documents()
        return None, message, rows, choices, self.status(session)

    def remove(
        self, doc_id: str | None, session: ChatSession
    ) -> tuple[str, list[list[object]], dict[str, Any], str]:
        """Remove one document from the index (and its uploaded copy, if it was uploaded here)."""
        if not doc_id:
            message = fmt.notice("Choose a document to remove first.", error=True)
        else:
            try:
                gone = self.assistant.remove(doc_id)
            except AssistantError as exc:
                message = fmt.notice(str(exc), error=True)
            else:
                source = Path(gone.source)
                if source.parent.resolve() == self.uploads_dir.resolve():
                    source.unlink(missing_ok=True)
                message = fmt.notice(f"Removed {gone.name} ({gone.chunks} chunks).")
        rows, choices = self.documents()
        return message, rows, choices, self.status(session)


def _stage(uploads: Sequence[Path], folder: Path) -> tuple[list[Path], dict[Path, Path]]:
    """Copy uploads into folder; a file they replace is kept aside until the new one indexes."""
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[Path] = []
    backups: dict[Path, Path] = {}
    for upload in uploads:
        target = (folder / Path(upload.name).name).resolve()
        if target.exists():
            backups[target] = target.with_name(f".{target.name}.previous")
            shutil.copy2(target, backups[target])
        shutil.copyfile(upload, target)
        staged.append(target)
    return staged, backups


def _settle(staged: Sequence[Path], backups: dict[Path, Path], failed: set[Path]) -> None:
    """Keep the staged files that indexed; put back what a failed one replaced."""
    failed = {path.resolve() for path in failed}
    for target in staged:
        backup = backups.get(target)
        if target not in failed:
            if backup:
                backup.unlink(missing_ok=True)
        elif backup:
            shutil.move(backup, target)
        else:
            target.unlink(missing_ok=True)


def _warm_up(assistant: Assistant) -> None:
    try:
        assistant.engine  # noqa: B018 - builds the engine, loading the embedder and the LLM
    except Exception:  # the first question reports the same error to the user
        log.exception("loading the models failed")


def _bot(html: str) -> dict[str, str]:
    return {"role": "assistant", "content": html}


def build_app(assistant: Assistant) -> gr.Blocks:
    """The chat page for assistant; launch it with `launch` (which adds theme and CSS)."""
    handlers = Handlers(assistant)
    rows, _ = handlers.documents()
    with gr.Blocks(title="Document assistant", analytics_enabled=False) as demo:
        session = gr.State(ChatSession())
        gr.Markdown("## Ask your documents\nEvery answer cites the passages it is based on.")
        status = gr.HTML(handlers.status(), elem_id="status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="chat",
                    height=560,
                    examples=[{"text": q} for q in EXAMPLES],
                    placeholder="Ask a question about your documents.",
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=["copy"],
                )
                with gr.Row():
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="Ask a question, e.g. When were the sanctions lifted?",
                        elem_id="question",
                        scale=8,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
            with gr.Tab("Documents", id="documents"):
                upload = gr.File(
                    label="Add documents (txt, md, html, pdf)",
                    file_count="multiple",
                    elem_id="upload",
                )
                result = gr.HTML(elem_id="ingest-result")
                table = gr.Dataframe(
                    value=rows,
                    headers=fmt.DOCUMENT_HEADERS,
                    interactive=False,
                    label="Indexed documents",
                    elem_id="documents",
                    wrap=True,
                )
                with gr.Row():
                    chosen = gr.Dropdown(
                        label="Document to remove",
                        choices=fmt.document_choices(assistant.sources()),
                        value=None,
                        elem_id="remove-choice",
                        scale=4,
                    )
                    remove = gr.Button("Remove", variant="stop", elem_id="remove", scale=1)

        chat_io: dict[str, Any] = {
            "inputs": [question, session],
            "outputs": [question, chatbot, session, status],
            "concurrency_limit": CHAT_CONCURRENCY,
            "concurrency_id": "chat",
        }
        question.submit(handlers.respond, api_name="ask", **chat_io)
        ask.click(handlers.respond, api_visibility="private", **chat_io)
        chatbot.example_select(
            handlers.pick_example, None, question, api_visibility="private"
        ).then(handlers.respond, api_visibility="private", **chat_io)
        chatbot.clear(handlers.new_chat, None, [chatbot, session, status], api_visibility="private")
        docs_io: dict[str, Any] = {"concurrency_limit": 1, "concurrency_id": "documents"}
        upload.upload(
            handlers.upload,
            [upload, session],
            [upload, result, table, chosen, status],
            api_name="upload",
            **docs_io,
        )
        remove.click(
            handlers.remove, [chosen, session], [result, table, chosen, status],
            api_name="remove", **docs_io,
        )  # fmt: skip
        demo.load(handlers.refresh, [session], [status, table, chosen], api_visibility="private")
    return demo


def launch(
    assistant: Assistant,
    *,
    host: str | None = None,
    port: int | None = None,
    auth: tuple[str, str] | None = None,
    open_browser: bool = False,
    prevent_thread_lock: bool = False,
) -> gr.Blocks:
    """Serve the page (host, port and auth default to assistant.settings.ui); returns the app."""
    ui = assistant.settings.ui
    if auth is None and ui.auth:
        user, _, password = ui.auth.partition(":")
        auth = (user, password)
    demo = build_app(assistant)
    # Load the models while the page opens, so the first question does not wait for them.
    threading.Thread(target=_warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    demo.launch(
        server_name=host or ui.host,
        server_port=port if port is not None else ui.port,
        auth=auth,
        inbrowser=open_browser,
        prevent_thread_lock=prevent_thread_lock,
        share=False,
        theme=THEME,
        css=CSS,
        head=HEAD,
        footer_links=["api", "settings"],
        run_history=False,  # it offers to sync runs to a Hugging Face bucket
        enable_monitoring=False,
        mcp_server=False,
        ssr_mode=False,  # server-side rendering needs Node; the client bundle is local anyway
        show_error=True,
        quiet=True,
    )
    return demo
