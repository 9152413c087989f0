"""The Gradio page: a chat with linked, quoted sources and a Documents tab.

Handlers call the Python API (`Assistant`) and format its results with ui/format.py; no
retrieval logic lives here. Per-browser-session state (the conversation) is a gr.State, so two
people chatting at once never see each other's answers; the shared LLM serializes generation.

Several people may share one page: each uploader (the logged-in user, else the browser session)
gets their own uploads folder, so two `report.txt` never replace each other, and removes only
what they uploaded unless the server runs with `admin`. Only checked answers are shown: while
the model drafts, the chat says it is checking, never what the draft says.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant import Answer, Assistant, AssistantError, Timings
from assistant.api import IngestProgress, IngestReport, StoredDocument
from assistant.settings import quiet_environment

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
.answer.pending p { font-style: italic; opacity: .7; }
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
ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


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

    def __init__(
        self,
        assistant: Assistant,
        uploads_dir: Path | None = None,
        *,
        admin: bool = False,
        upload_cache: Path | None = None,
    ) -> None:
        self.assistant = assistant
        # Uploads are copied here, one folder per uploader, so indexed sources outlive Gradio's
        # temporary files and no one's file replaces another's.
        self.uploads_dir = uploads_dir or Path(assistant.settings.data_dir) / "uploads"
        self.admin = admin  # every web user may remove any document
        # Gradio's own copies of uploads; deleted once handled (indexed or refused).
        self.upload_cache = upload_cache or _gradio_upload_cache()

    # -- who is asking -----------------------------------------------------------------------
    def owner(self, request: gr.Request | None) -> str:
        """The uploads folder name of whoever sent request: the logged-in user, else the
        browser session (hashed: user names never become paths)."""
        user = getattr(request, "username", None)
        session = getattr(request, "session_hash", None)
        key = f"user:{user}" if user else f"session:{session or 'local'}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def can_remove(self, doc: StoredDocument, request: gr.Request | None) -> bool:
        """Admins remove anything; others only what they uploaded."""
        if self.admin:
            return True
        folder = (self.uploads_dir / self.owner(request)).resolve()
        return Path(doc.source).resolve().parent == folder

    # -- status ------------------------------------------------------------------------------
    def model_label(self) -> str:
        models = self.assistant.settings.models
        if models.llm_url:
            return models.llm_model_name
        return Path(models.llm).name  # a GGUF path: its file name only

    def status(self, session: ChatSession | None = None) -> str:
        docs = self.assistant.sources()
        timings = session.timings if session else None
        return fmt.status_line(self.model_label(), len(docs), sum(d.chunks for d in docs), timings)

    # -- chat --------------------------------------------------------------------------------
    def respond(
        self, question: str, session: ChatSession
    ) -> Iterator[tuple[str, list[dict[str, str]], ChatSession, str]]:
        """Show that the answer is being checked, then the checked answer (never the draft)."""
        question = (question or "").strip()
        if not question:
            yield "", list(session.messages), session, self.status(session)
            return
        key = f"t{session.turn}"
        asked = (*session.messages, {"role": "user", "content": fmt.render_question(question)})
        status = self.status(session)
        yield "", [*asked, _bot(fmt.render_pending())], session, status
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
                # Draft text is unchecked: it is read to the end but never shown.
        except AssistantError as exc:
            failed = _bot(fmt.render_error(str(exc)))
        except Exception as exc:  # the page must say what went wrong, not spin forever
            log.exception("answering a question failed")
            failed = _bot(fmt.render_error(f"unexpected error ({type(exc).__name__}): {exc}"))
        else:
            failed = _bot(fmt.render_error("the assistant returned no answer; please retry"))
        # A failed turn stays visible but is kept out of the history sent with follow-ups; an
        # over-long question is not given back (the box would refuse it again).
        shown = replace(session, messages=(*asked, failed))
        retry = question if len(question) <= self.assistant.settings.limits.question_chars else ""
        yield retry, list(shown.messages), shown, status

    def pick_example(self, event: gr.SelectData) -> str:
        value = event.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")

    def new_chat(self) -> tuple[list[dict[str, str]], ChatSession, str]:
        fresh = ChatSession()
        return [], fresh, self.status(fresh)

    # -- documents ---------------------------------------------------------------------------
    def documents(
        self, request: gr.Request | None = None
    ) -> tuple[list[list[object]], dict[str, Any]]:
        """The table of every document, and the remove choices: only what request may remove."""
        docs = self.assistant.sources()
        mine = [d for d in docs if self.can_remove(d, request)]
        return fmt.document_rows(docs), gr.update(choices=fmt.document_choices(mine), value=None)

    def refresh(
        self, session: ChatSession, request: gr.Request | None = None
    ) -> tuple[str, list[list[object]], dict[str, Any]]:
        rows, choices = self.documents(request)
        return self.status(session), rows, choices

    def upload(
        self,
        files: Sequence[str] | None,
        session: ChatSession,
        request: gr.Request | None = None,
        progress: Any = gr.Progress(),  # noqa: B008 - Gradio injects progress through this default
    ) -> tuple[None, str, list[list[object]], dict[str, Any], str]:
        """Check, copy and index uploaded files, reporting each; Gradio's copies are deleted."""
        paths = [Path(f) for f in files or []]
        try:
            message = self._upload(paths, request, progress)
        finally:
            _discard(paths, self.upload_cache)
        rows, choices = self.documents(request)
        return None, message, rows, choices, self.status(session)

    def _upload(self, paths: Sequence[Path], request: gr.Request | None, progress: Any) -> str:
        if not paths:
            return fmt.notice("Choose files to upload.")
        accepted, refused = self.screen(paths)
        if not accepted:
            return fmt.ingest_message(IngestReport(failed=tuple(refused)))
        staged, backups = _stage(accepted, self.uploads_dir / self.owner(request))

        def report(p: IngestProgress) -> None:
            desc = f"Indexing {p.current}" if p.current else "Indexed"
            progress((p.files_done, p.files_total), desc=desc, unit="files")

        try:
            result = self.assistant.ingest(staged, progress=report)
        except AssistantError as exc:
            _settle(staged, backups, failed=set(staged))
            return fmt.notice(f"Indexing failed: {exc}", error=True)
        except Exception as exc:  # nothing half-stored: put back what the upload replaced
            log.exception("indexing an upload failed")
            _settle(staged, backups, failed=set(staged))
            return fmt.notice(f"Indexing failed: unexpected {type(exc).__name__}", error=True)
        _settle(staged, backups, failed={Path(path) for path, _ in result.failed})
        failed = (*refused, *result.failed)
        for path, reason in failed:
            gr.Warning(f"{Path(path).name}: {fmt.hide_paths(reason)}")
        return fmt.ingest_message(replace(result, failed=tuple(failed)))

    def screen(self, paths: Sequence[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
        """Uploads split into those to index and (name, reason) for those refused: the type,
        the size of each file, the number of files and the upload's total size."""
        ui = self.assistant.settings.ui
        limit = int(ui.upload_mb * 1_000_000)  # each file, and the upload in total
        accepted: list[Path] = []
        refused: list[tuple[str, str]] = []
        total = 0
        for path in paths:
            name = Path(path).name
            try:
                size = path.stat().st_size
            except OSError:
                refused.append((name, "the upload did not arrive: try again"))
                continue
            if path.suffix.lower() not in ALLOWED_SUFFIXES:
                kinds = ", ".join(s.lstrip(".") for s in ALLOWED_SUFFIXES)
                refused.append((name, f"only {kinds} files can be added: convert it first"))
            elif len(accepted) >= ui.upload_files:
                refused.append(
                    (name, f"one upload takes at most {ui.upload_files} files: add it next time")
                )
            elif size > limit:
                refused.append(
                    (name, f"is {fmt.size(size)}; files may be at most {fmt.size(limit)}")
                )
            elif total + size > limit:
                refused.append(
                    (name, f"the upload would pass {fmt.size(limit)}: add it in another upload")
                )
            else:
                accepted.append(path)
                total += size
        return accepted, refused

    def remove(
        self, doc_id: str | None, session: ChatSession, request: gr.Request | None = None
    ) -> tuple[str, list[list[object]], dict[str, Any], str]:
        """Remove one document the user may remove (and its uploaded copy)."""
        doc = next((d for d in self.assistant.sources() if d.doc_id == doc_id), None)
        if not doc_id:
            message = fmt.notice("Choose a document to remove first.", error=True)
        elif doc is None:
            message = fmt.notice(
                f"{doc_id} is not indexed (any more): refresh the page.", error=True
            )
        elif not self.can_remove(doc, request):
            message = fmt.notice(
                f"{doc.name} was not uploaded by you, so you cannot remove it here; ask whoever "
                "runs the server (`assistant remove`, or `assistant serve --admin`).",
                error=True,
            )
        else:
            try:
                gone = self.assistant.remove(doc.doc_id)
            except AssistantError as exc:
                message = fmt.notice(str(exc), error=True)
            else:
                source = Path(gone.source)
                if source.resolve().is_relative_to(self.uploads_dir.resolve()):
                    source.unlink(missing_ok=True)
                message = fmt.notice(f"Removed {gone.name} ({gone.chunks} chunks).")
        rows, choices = self.documents(request)
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


def _gradio_upload_cache() -> Path:
    """Where Gradio stores uploads (GRADIO_TEMP_DIR, else <tmp>/gradio)."""
    from gradio.utils import get_upload_folder

    with contextlib.suppress(Exception):
        return Path(get_upload_folder()).resolve()
    return (Path(tempfile.gettempdir()) / "gradio").resolve()


def _discard(paths: Sequence[Path], cache: Path) -> None:
    """Delete Gradio's copies of uploads (and their emptied folders); nothing outside cache."""
    cache = cache.resolve()
    for path in paths:
        resolved = Path(path).resolve()
        if not resolved.is_relative_to(cache) or resolved == cache:
            continue  # an API caller's own file, never ours to delete
        resolved.unlink(missing_ok=True)
        parent = resolved.parent
        while parent != cache and parent.is_relative_to(cache):
            try:
                parent.rmdir()
            except OSError:
                break  # not empty: another upload still uses it
            parent = parent.parent


def _warm_up(assistant: Assistant) -> None:
    try:
        assistant.engine  # noqa: B018 - builds the engine, loading the embedder and the LLM
    except Exception:  # the first question reports the same error to the user
        log.exception("loading the models failed")


def _bot(html: str) -> dict[str, str]:
    return {"role": "assistant", "content": html}


def build_app(assistant: Assistant, *, admin: bool = False) -> gr.Blocks:
    """The chat page for assistant; launch it with `launch` (which adds theme and CSS)."""
    handlers = Handlers(assistant, admin=admin)
    rows, _ = handlers.documents()
    limits = assistant.settings.limits
    # Gradio's cached files (outputs, and uploads a handler never saw) older than a day go.
    with gr.Blocks(
        title="Document assistant", analytics_enabled=False, delete_cache=(3600, 86400)
    ) as demo:
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
                        max_length=limits.question_chars,
                    )
                    ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
            with gr.Tab("Documents", id="documents"):
                ui = assistant.settings.ui
                upload = gr.File(
                    label=f"Add documents (txt, md, html, pdf; up to {ui.upload_files} files, "
                    f"{ui.upload_mb:g} MB)",
                    file_count="multiple",
                    # No file_types: Gradio would refuse other types itself and keep the refused
                    # file in its cache; Handlers.screen refuses them by name and deletes them.
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
                        label="Document to remove" if admin else "Your document to remove",
                        choices=[],  # filled per visitor on load: only what they may remove
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
    admin: bool = False,
    open_browser: bool = False,
    prevent_thread_lock: bool = False,
) -> gr.Blocks:
    """Serve the page (host, port and auth default to assistant.settings.ui); returns the app.

    Requests beyond ui.queue_size waiting ones are turned away with "busy, try again".
    """
    ui = assistant.settings.ui
    if auth is None and ui.auth:
        user, _, password = ui.auth.partition(":")
        auth = (user, password)
    demo = build_app(assistant, admin=admin)
    demo.queue(max_size=ui.queue_size, default_concurrency_limit=1)
    # Load the models while the page opens, so the first question does not wait for them.
    threading.Thread(target=_warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    demo.launch(
        server_name=host or ui.host,
        server_port=port if port is not None else ui.port,
        auth=auth,
        max_file_size=f"{ui.upload_mb:g}mb",  # Gradio refuses bigger files before they land
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
