"""Command line: a thin click layer over the Python API; library errors become usage messages."""

from __future__ import annotations

import ipaddress
import json
import re
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from assistant.errors import AssistantError
from assistant.settings import quiet_environment

if TYPE_CHECKING:
    from assistant.answer import Answer
    from index.ingest import IngestProgress

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _errors_as_usage(func: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become one-line messages; so do unexpected ones, unless --debug."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssistantError as exc:
            raise click.ClickException(str(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if _debug():
                raise
            raise click.ClickException(_unexpected(exc)) from exc

    return wrapper


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


def _unexpected(exc: BaseException) -> str:
    return (
        f"unexpected error ({type(exc).__name__}: {exc}). Run the command again as "
        "`assistant --debug …` to see where it happened, and please report it."
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _name(text: str) -> str:
    """A file name or path for line-per-file output: control characters (a newline in a
    name would start a fake line) shown as escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))


def _assistant(**overrides: Any) -> Any:
    quiet_environment()
    from assistant.api import Assistant
    from assistant.settings import load_settings

    return Assistant(load_settings(**{k: v for k, v in overrides.items() if v is not None}))


def _seed_if_empty(assistant: Any) -> None:
    report = assistant.ensure_seeded()
    if report is not None:
        click.echo(
            f"The index was empty: indexed the bundled seeds ({report.summary()}).", err=True
        )


def _print_answer(answer: Answer, *, json_out: bool) -> None:
    if json_out:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    click.echo(answer.text)
    if answer.citations:
        click.echo("")
        _print_sources(answer)


def _print_sources(answer: Answer) -> None:
    for c in answer.citations:
        dated = f", {c.date}" if c.date else ""
        click.echo(f'[{c.n}] {c.name}{dated} — "{c.quote}"')


@click.group(context_settings=CONTEXT)
@click.option("--debug", is_flag=True, help="Show the traceback of unexpected errors.")
def main(debug: bool) -> None:
    """Ask questions about your own documents; every answer cites its sources.

    \b
    Examples:
      assistant ingest ~/notes report.pdf
      assistant ask "When were the sanctions lifted?"
      assistant ask "Hur många skadades vid al-Bab?" --json
      assistant chat
      assistant serve --port 7860
      assistant eval tests/eval/manuals_test.jsonl --report report/

    Settings come from ASSISTANT_* environment variables, e.g. ASSISTANT_DATA_DIR (where the
    index lives) and ASSISTANT_CHROMA_URL (use a Chroma server instead).
    """


class _IngestBar:
    """Ingest progress on stderr, on a terminal only: files, chunks, chunks/s, time left."""

    def __init__(self, file: Any = None) -> None:
        from tqdm import tqdm

        # Counted in bytes, so the time left weighs a big file by its size; smoothing=0 takes
        # the rate over the whole run, which steadies the estimate between files.
        self._bar = tqdm(
            total=0, unit="B", unit_scale=True, smoothing=0, file=file or sys.stderr, disable=None,
            bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
        )  # fmt: skip

    def __call__(self, p: IngestProgress) -> None:
        bar = self._bar
        bar.total = p.bytes_total
        name = "".join(c if c.isprintable() else "?" for c in p.current)  # one line, always
        current = f" {name}" if name else ""
        bar.set_description_str(
            f"{p.files_done}/{p.files_total} files, {p.chunks} chunks, "
            f"{p.chunks_per_s:.0f} chunks/s{current}",
            refresh=False,
        )
        bar.update(p.bytes_done - bar.n)

    def close(self) -> None:
        self._bar.close()


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_errors_as_usage
def ingest(paths: tuple[Path, ...]) -> None:
    """Index files or folders (txt, md, html, pdf); unchanged files are skipped.

    A file that cannot be indexed is reported on its own `failed` line and the others are
    still indexed; the exit status is then 1.

    \b
    Example:
      assistant ingest seeds/ ~/Documents/report.pdf
    """
    assistant = _assistant()
    bar = _IngestBar()
    try:
        report = assistant.ingest(paths, progress=bar)
    finally:
        bar.close()
    for path in report.added:
        click.echo(f"added     {_name(path)}")
    for path in report.updated:
        click.echo(f"updated   {_name(path)}")
    for path in report.unchanged:
        click.echo(f"unchanged {_name(path)}")
    for path, reason in report.failed:
        click.echo(f"failed    {_name(path)}: {_name(reason)}", err=True)
    click.echo(report.summary())
    if report.failed:  # any failed file: scripts must not mistake a partial index for a full one
        sys.exit(1)


@main.command(context_settings=CONTEXT)
@click.argument("question")
@click.option("--json", "json_out", is_flag=True, help="Print one JSON object.")
@_errors_as_usage
def ask(question: str, json_out: bool) -> None:
    """Answer QUESTION from the indexed documents, with quoted sources.

    \b
    Examples:
      assistant ask "When were the sanctions lifted?"
      assistant ask "What is the capital of France?"   # → refuses
      assistant ask "När hävdes sanktionerna?" --json
    """
    assistant = _assistant()
    _seed_if_empty(assistant)
    _print_answer(assistant.ask(question), json_out=json_out)


@main.command(context_settings=CONTEXT)
@_errors_as_usage
def chat() -> None:
    """Chat in the terminal; follow-up questions use the conversation.

    \b
    Commands inside the chat:
      /sources   show the sources of the last answer
      /reset     start a new conversation
      /quit      leave (or Ctrl-D)
    """
    from assistant.chat import Conversation

    assistant = _assistant()
    _seed_if_empty(assistant)
    conversation = Conversation()
    last = None
    click.echo("Ask about your documents. /sources, /reset, /quit.")
    while True:
        try:
            question = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return
        if not question:
            continue
        if question in {"/quit", "/exit"}:
            return
        if question == "/reset":
            conversation.reset()
            last = None
            click.echo("(new conversation)")
            continue
        if question == "/sources":
            if last is None or not last.citations:
                click.echo("(no sources yet)")
            else:
                _print_sources(last)
            continue
        answer = _checked_answer(assistant, question, conversation.history())
        if answer is None:
            continue  # the conversation is kept as it was; ask again or go on
        last = answer
        if last.standalone_question and last.standalone_question != question:
            click.echo(f"(understood as: {last.standalone_question})")
        _print_answer(last, json_out=False)
        conversation.add(question, last.text)


def _checked_answer(assistant: Any, question: str, history: list[Any]) -> Answer | None:
    """The checked answer, with a passing "checking…" line on a terminal; None after an error.

    The draft the model streams is never printed: a sentence the citation check removes must
    not reach the screen, not even for a moment.
    """
    status = sys.stdout.isatty()
    if status:
        click.echo("(checking…)", nl=False)
    answer = None
    try:
        for item in assistant.stream(question, history):
            if not isinstance(item, str):
                answer = item
    except AssistantError as exc:
        message = str(exc)
    except KeyboardInterrupt:
        message = "stopped; ask again or /quit"
    except Exception as exc:  # the chat and its conversation outlive one failed answer
        if _debug():
            raise
        message = _unexpected(exc)
    else:
        message = "" if answer is not None else "no answer came back; please ask again"
    if status:
        click.echo("\r\033[K", nl=False)  # the status line goes; the answer takes its place
    if message:
        click.echo(f"error: {message}", err=True)
        return None
    return answer


@main.command(context_settings=CONTEXT)
@click.argument("path")
@_errors_as_usage
def remove(path: str) -> None:
    """Drop a document from the index (by path, file name or id).

    \b
    Example:
      assistant remove seeds/000_de2dd51f3474cc85.txt
    """
    doc = _assistant().remove(path)
    click.echo(f"removed {_name(doc.source)} ({doc.chunks} chunks)")


@main.command(context_settings=CONTEXT)
@click.option("--json", "json_out", is_flag=True, help="Print a JSON list.")
@_errors_as_usage
def sources(json_out: bool) -> None:
    """List indexed documents with their date, language and chunk count."""
    docs = _assistant().sources()
    if json_out:
        keys = ("doc_id", "source", "title", "date", "language", "chunks", "indexed_at")
        click.echo(json.dumps([{k: getattr(d, k) for k in keys} for d in docs], ensure_ascii=False))
        return
    if not docs:
        click.echo("No documents indexed yet: run `assistant ingest PATH`.")
    for d in docs:
        title = _name(d.title or "")
        click.echo(f"{_name(d.name)}\t{d.date or '-'}\t{d.language}\t{d.chunks} chunks\t{title}")


@main.command(context_settings=CONTEXT)
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@click.option(
    "--auth-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File whose first line is user:password; require that login.",
)
@click.option(
    "--auth", default=None, hidden=True, help="Deprecated: visible in ps; use --auth-file."
)
@click.option("--insecure", is_flag=True, help="Allow a non-loopback --host without a password.")
@click.option(
    "--admin", is_flag=True, help="Let every web user remove any document, not just their own."
)
@click.option("--no-seed", is_flag=True, help="Do not index seeds/ when the index is empty.")
@_errors_as_usage
def serve(
    host: str | None,
    port: int | None,
    auth_file: Path | None,
    auth: str | None,
    insecure: bool,
    admin: bool,
    no_seed: bool,
) -> None:
    """Open the chat web page (indexes the bundled seeds first if the index is empty).

    A password comes from ASSISTANT_UI__AUTH=user:password or --auth-file, never from the
    command line (other users see it in ps). Listening beyond this machine (--host 0.0.0.0)
    needs a password, or --insecure.

    \b
    Examples:
      assistant serve --port 7860
      ASSISTANT_UI__AUTH=me:secret assistant serve --host 0.0.0.0
      assistant serve --host 0.0.0.0 --auth-file ~/.config/assistant-auth
    """
    assistant = _assistant()
    ui = assistant.settings.ui
    if auth is not None:
        click.echo(
            "warning: --auth shows the password to every user of this machine (ps); "
            "use ASSISTANT_UI__AUTH or --auth-file instead.",
            err=True,
        )
    credentials = _credentials(auth_file or ui.auth_file, ui.auth or auth)
    host = host or ui.host
    if credentials is None and not insecure and not _is_loopback(host):
        raise click.UsageError(
            f"--host {host} lets other machines in, and no password is set: set "
            "ASSISTANT_UI__AUTH=user:password or pass --auth-file FILE (or --insecure to serve "
            "without one)."
        )
    # One writer per embedded store: fail now, not at the first upload.
    assistant.claim_writer()
    if not no_seed:
        _seed_if_empty(assistant)
    from ui.app import launch

    launch(
        assistant,
        host=host,
        port=port if port is not None else ui.port,
        auth=credentials,
        admin=admin,
    )


def _credentials(auth_file: Path | None, inline: str | None) -> tuple[str, str] | None:
    """(user, password) from the auth file, else from user:password text, else None."""
    text, where = inline, "ASSISTANT_UI__AUTH"
    if auth_file is not None:
        where = str(auth_file)
        try:
            lines = Path(auth_file).expanduser().read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(
                f"cannot read {auth_file}: {exc}", param_hint="--auth-file"
            ) from exc
        text = next((line.strip() for line in lines if line.strip()), "")
    if text is None:
        return None
    user, colon, password = text.partition(":")
    if not colon or not user or not password:
        raise click.UsageError(f"{where}: write the login as user:password (both non-empty)")
    return user, password


def _is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


@main.command("eval", context_settings=CONTEXT)
@click.argument(
    "questions", nargs=-1, required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)  # fmt: skip
@click.option(
    "--docs",
    type=click.Path(exists=True, path_type=Path),
    help="The documents the questions are about, indexed into a cached store of their own "
    "(default: the set's .corpus file next to it; without one, your own index).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="RESULTS.jsonl")
@click.option(
    "--report",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder (with several sets, one subfolder per set).",
)
@click.option("--baseline", is_flag=True, help="Also run stock llama-index for comparison.")
@_errors_as_usage
def eval_(
    questions: tuple[Path, ...], docs: Path | None, out: Path | None, report: Path | None,
    baseline: bool,
) -> None:  # fmt: skip
    """Run question files (JSON Lines), each over its own documents, and report scores.

    A set's documents come from --docs or from the `<set>.corpus` file next to it (see
    tests/eval/README.md); they are indexed apart from your index, once, and reused.

    \b
    Examples:
      assistant eval tests/eval/manuals_test.jsonl --report report/ --baseline
      assistant eval tests/eval/*_test.jsonl --report report/
      assistant eval my_questions.jsonl --docs ~/Documents/handbook/
    """
    from assistant.eval import evaluate, format_sets_table, format_table
    from assistant.eval_corpus import resolve_corpus

    if out is not None and len(questions) > 1:
        raise click.UsageError("--out takes one question file; with several, use --report DIR")
    assistant = _assistant()
    summaries = {}
    for path in questions:
        if resolve_corpus(path, docs) is None:
            _seed_if_empty(assistant)
        folder = report / path.stem if report is not None and len(questions) > 1 else report
        summary = evaluate(
            path, assistant=assistant, docs=docs, out=out, report_dir=folder, baseline=baseline
        )
        if corpus := summary.get("corpus"):
            click.echo(
                f"{path.name}: {corpus['documents']} documents from {corpus['path']} "
                f"({corpus['indexed']} indexed now, {corpus['unchanged']} already indexed "
                f"in {corpus['data_dir']})",
                err=True,
            )
        summaries[path.stem] = summary
    if len(summaries) == 1:
        click.echo(format_table(next(iter(summaries.values()))))
    else:
        click.echo(format_sets_table(summaries))


if __name__ == "__main__":
    main()
