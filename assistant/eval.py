"""Scripted evaluation: run a question file through the assistant (and the peer baseline), score
every answer with assistant.metrics, and write results, a summary table, a report and a chart.

    >>> from assistant.eval import evaluate
    >>> summary = evaluate("tests/eval/manuals_test.jsonl", report_dir="report", baseline=True)
    >>> print(format_table(summary))

A set runs over its own corpus (assistant.eval_corpus: `--docs`, or the set's `.corpus` sidecar),
indexed apart from the user's index; a set without one runs over the user's index.

Questions go through `Assistant.stream`, the very path `ask` uses (with history for follow-ups).
Retrieval metrics use the ranked chunks of the last top-level retrieval of each question, caught
from llama-index's instrumentation events, so both systems are measured the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.retrieval import (
    RetrievalEndEvent,
    RetrievalStartEvent,
)
from tqdm import tqdm

from assistant.answer import Answer, compose_settings, composed_answer, make_verifier
from assistant.api import Assistant
from assistant.compose import answerability, compose
from assistant.errors import ConfigError
from assistant.eval_corpus import corpus_assistant, resolve_corpus, set_name
from assistant.metrics import METRICS, Gold, Outcome, score, spans_of, summarize
from assistant.report import SYSTEMS, beats_baseline, format_table, write_chart, write_report
from assistant.schema import prepared_from_dict, prepared_to_dict
from assistant.settings import Settings
from index.language import detect_language

if TYPE_CHECKING:
    from assistant.baseline import Baseline

FIELDS = ("id", "question", "answers", "sources", "answerable", "lang", "history")


@dataclass(frozen=True, slots=True)
class Question:
    """One line of a question file."""

    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]
    answerable: bool
    lang: str
    history: tuple[tuple[str, str], ...] = ()  # (role, content) turns before the question

    @property
    def gold(self) -> Gold:
        return Gold(self.answers, self.sources, self.answerable, self.lang)

    def history_messages(self) -> list[dict[str, str]]:
        return [{"role": role, "content": content} for role, content in self.history]


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f'{where}: "{name}" must be a list of non-empty strings, e.g. ["July 2016"]'
        )
    return tuple(v.strip() for v in value)


def _history(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    example = '[{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]'
    if not isinstance(value, list):
        raise ConfigError(f'{where}: "history" must be a list of messages like {example}')
    turns = []
    for i, item in enumerate(value, start=1):
        if (
            not isinstance(item, dict)
            or item.get("role") not in {"user", "assistant"}
            or not isinstance(item.get("content"), str)
        ):
            raise ConfigError(
                f'{where}: history message {i} must have "role" "user" or "assistant" and a '
                f'string "content", like {example}'
            )
        turns.append((item["role"], item["content"]))
    return tuple(turns)


def parse_question(line: str, where: str) -> Question:
    """One validated Question from one JSON line; `where` ("file:line") prefixes errors."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); each line must be one "
            'object like {"id": "q1", "question": "...", "answers": ["..."], "sources": ["..."]}'
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be a JSON object, not {type(data).__name__}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}"
        )
    qid, question = data.get("id"), data.get("question")
    if not isinstance(qid, str | int) or isinstance(qid, bool) or not str(qid).strip():
        raise ConfigError(f'{where}: "id" is missing; give every question a unique id like "q1"')
    if not isinstance(question, str) or not question.strip():
        raise ConfigError(f'{where}: "question" is missing or empty')
    answerable = data.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ConfigError(f'{where}: "answerable" must be true or false')
    answers = _strings(data.get("answers", []), "answers", where)
    sources = _strings(data.get("sources", []), "sources", where)
    if answerable and not answers:
        raise ConfigError(
            f'{where}: an answerable question needs "answers" (acceptable short answers), '
            'or set "answerable": false if the documents cannot answer it'
        )
    if answerable and not sources:
        raise ConfigError(
            f'{where}: an answerable question needs "sources" (parts of the file names that '
            'hold the answer, e.g. ["004_fc025db9153bd9ca"])'
        )
    if not answerable and answers:
        raise ConfigError(f'{where}: "answerable": false but "answers" given; remove one of them')
    lang = data.get("lang") or detect_language(question)
    if not isinstance(lang, str) or not lang.isalpha() or len(lang) != 2:
        raise ConfigError(f'{where}: "lang" must be a two-letter language code like "en" or "sv"')
    return Question(
        id=str(qid).strip(),
        question=question.strip(),
        answers=answers,
        sources=sources,
        answerable=answerable,
        lang=lang.lower(),
        history=_history(data.get("history", []), where),
    )


def load_questions(path: str | Path) -> list[Question]:
    """Read and validate a JSON Lines question file; errors name the line and the problem."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the question file {path}: {exc}") from exc
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        q = parse_question(line, f"{path}:{number}")
        if q.id in seen:
            raise ConfigError(f"{path}:{number}: id {q.id!r} is already used on line {seen[q.id]}")
        seen[q.id] = number
        questions.append(q)
    if not questions:
        raise ConfigError(f"{path} has no questions: write one JSON object per line")
    return questions


# --- running ---------------------------------------------------------------------------------


class System(Protocol):
    """Anything that streams answers like Assistant.stream: text deltas, then the Answer."""

    def stream(self, question: str, history: Any = None) -> Iterator[str | Answer]: ...


class RetrievalRecorder(BaseEventHandler):
    """Keeps the document names of a question's first outermost retrieval's ranked nodes.

    Nested retrievers (dense and BM25 inside the fusion) start and end inside the outer one, so
    counting starts and ends finds the outermost: the ranking the system actually used. Only the
    first counts: a second pass restricted to another language's documents (CitedQueryEngine.run)
    would rank those first by construction, and that is no merit of the retriever.
    """

    names: list[str] = []
    depth: int = 0
    recorded: bool = False

    @classmethod
    def class_name(cls) -> str:
        return "RetrievalRecorder"

    def reset(self) -> None:
        self.names, self.depth, self.recorded = [], 0, False

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, RetrievalStartEvent):
            self.depth += 1
        elif isinstance(event, RetrievalEndEvent):
            self.depth = max(0, self.depth - 1)
            if self.depth == 0 and not self.recorded:
                self.recorded = True
                self.names = [
                    str(
                        n.node.metadata.get("name") or Path(str(n.node.metadata.get("source"))).name
                    )
                    for n in event.nodes
                ]


def _document_name(metadata: dict[str, Any]) -> str:
    return str(metadata.get("name") or Path(str(metadata.get("source"))).name)


@contextlib.contextmanager
def recording() -> Iterator[RetrievalRecorder]:
    root = get_dispatcher()
    recorder = RetrievalRecorder()
    root.add_event_handler(recorder)
    try:
        yield recorder
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not recorder]


@dataclass(frozen=True, slots=True)
class Record:
    """One system's answer to one question, and its scores."""

    id: str
    system: str
    answer: Answer
    outcome: Outcome
    scores: dict[str, Any]

    def _removed(self) -> list[dict[str, str]]:
        reasons = self.answer.removed_reasons
        return [
            {"sentence": sentence, "reason": reasons[i] if i < len(reasons) else ""}
            for i, sentence in enumerate(self.answer.removed)
        ]

    def to_json(self) -> str:
        row: dict[str, Any] = {
            "id": self.id,
            "system": self.system,
            # Removed drafts are kept here, for the person analysing the run.
            "answer": {**self.answer.to_dict(), "removed": self._removed()},
            "scores": self.scores,
            "retrieved": list(self.outcome.retrieved),
        }
        if self.answer.prepared is not None:
            # The model's draft and what it was written from: `recompose` checks it again.
            row["draft"] = self.answer.draft
            row["prepared"] = prepared_to_dict(self.answer.prepared)
        return json.dumps(row, ensure_ascii=False)


def run_question(system: System, q: Question, recorder: RetrievalRecorder, name: str) -> Record:
    """Ask one question the way `ask` does, timing the first streamed text and the whole."""
    recorder.reset()
    started = time.perf_counter()
    first: float | None = None
    answer: Answer | None = None
    for item in system.stream(q.question, q.history_messages() or None):
        if isinstance(item, Answer):
            answer = item
        elif item and first is None:
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    if answer is None:
        raise RuntimeError(f"{name} produced no answer for question {q.id}")
    outcome = outcome_of(answer, tuple(recorder.names), latency_s=total, first_token_s=first)
    return Record(q.id, name, answer, outcome, score(q.gold, outcome))


def outcome_of(
    answer: Answer,
    retrieved: Sequence[str],
    *,
    latency_s: float = 0.0,
    first_token_s: float | None = None,
) -> Outcome:
    """What the metrics score of an answer: its text, refusal, citations and short answer."""
    return Outcome(
        text=answer.text,
        refused=answer.refused,
        cited_sources=tuple(c.source for c in answer.citations),
        spans=spans_of(answer.citations),
        retrieved=tuple(retrieved),
        latency_s=latency_s,
        first_token_s=first_token_s,
        short=answer.short,
    )


@dataclass(frozen=True, slots=True)
class Recomposed:
    """One question of a recorded run, composed again (see recompose)."""

    recorded: dict[str, Any]  # the results.jsonl row
    record: Record  # today's answer and scores
    needs_model: bool  # the gate lets it through now, but no draft was recorded


def recompose(
    questions_path: str | Path,
    results_path: str | Path,
    *,
    assistant: Assistant | None = None,
    settings: Settings | None = None,
) -> list[Recomposed]:
    """Gate, check and compose again, with today's code and settings, the evidence and drafts an
    earlier `evaluate` recorded (our rows of its results.jsonl), and score them, per question.
    No retrieval and no LLM, so a change to the refusal gate, the verification or the
    composition is measured on a whole set in seconds, on exactly the drafts the model wrote. A
    question the gate refused then but lets through now had no draft: it keeps its refusal and
    is marked `needs_model` (run `evaluate` again to measure it); so does everything after a
    change to retrieval, evidence selection or the prompt.

    Needs assistant's embedder (the meaning checks): the one the results were made with.
    """
    questions = {q.id: q for q in load_questions(questions_path)}
    assistant = assistant or Assistant(settings)
    answer_settings = assistant.settings.answer
    min_score = assistant.settings.retrieval.min_evidence_score
    verifier = make_verifier(assistant.embedder, answer_settings)
    pairs = []
    for number, line in enumerate(Path(results_path).read_text(encoding="utf-8").splitlines(), 1):
        where = f"{results_path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            message = f"{where}: not valid JSON ({exc.msg}); is it a results.jsonl?"
            raise ConfigError(message) from exc
        if row.get("system") != "ours":
            continue
        if "prepared" not in row or row.get("id") not in questions:
            raise ConfigError(
                f"{where}: no recorded draft for a question of {questions_path}. Recompose the "
                "results.jsonl that `assistant eval` wrote for this question file (with this "
                "version; older files have no drafts)."
            )
        try:
            q, prepared = questions[row["id"]], prepared_from_dict(row["prepared"])
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"{where}: its recorded evidence is not in the form this version writes ({exc}); "
                "run `assistant eval` again to record it."
            ) from exc
        gate = answerability(
            prepared.standalone, prepared.evidence, min_score, language=prepared.language
        )
        needs_model = bool(prepared.refusal_reason) and gate is None
        if not needs_model:
            prepared = replace(prepared, refusal_reason=gate)
        composed = compose(prepared, row["draft"], verifier, compose_settings(answer_settings))
        answer = composed_answer(prepared, row["draft"], composed)
        outcome = outcome_of(answer, row.get("retrieved", ()))
        record = Record(q.id, "ours", answer, outcome, score(q.gold, outcome))
        pairs.append(Recomposed(row, record, needs_model))
    return pairs


def run_all(
    system: System, questions: Sequence[Question], *, name: str, progress: bool,
    sink: IO[str] | None = None,
) -> list[Record]:  # fmt: skip
    """Every question through one system, with a progress bar on stderr."""
    records = []
    with recording() as recorder:
        for q in tqdm(questions, desc=name, unit="q", file=sys.stderr, disable=not progress):
            record = run_question(system, q, recorder, name)
            records.append(record)
            if sink is not None:
                sink.write(record.to_json() + "\n")
                sink.flush()  # a long run that fails late keeps the lines it wrote
    return records


def failures(records: Sequence[Record]) -> dict[str, list[str]]:
    """Question ids per kind of failure, for reading a report."""
    kinds: dict[str, list[str]] = {
        "wrong_answer": [], "false_refusal": [], "answered_unanswerable": [],
        "retrieval_miss": [], "unsupported_sentences": [], "wrong_language": [],
    }  # fmt: skip
    for r in records:
        s = r.scores
        if s["answerable"] and s["refused"]:
            kinds["false_refusal"].append(r.id)
        elif s["answerable"] and not s["correct"]:
            kinds["wrong_answer"].append(r.id)
        if not s["answerable"] and not s["refused"]:
            kinds["answered_unanswerable"].append(r.id)
        if s["answerable"] and not s["hit@3"]:
            kinds["retrieval_miss"].append(r.id)
        if s["supported"] < s["sentences"]:
            kinds["unsupported_sentences"].append(r.id)
        if not s["language_match"]:
            kinds["wrong_language"].append(r.id)
    return kinds


def machine() -> str:
    """CPU, cores, memory, OS and Python: the context every latency figure needs."""
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    parts = [cpu or platform.machine(), f"{os.cpu_count()} CPUs"]
    with contextlib.suppress(ValueError, OSError, AttributeError):
        parts.append(
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB RAM"
        )
    parts.append(f"{platform.system()} {platform.release()}, Python {platform.python_version()}")
    return ", ".join(parts)


def evaluate(
    questions_path: str | Path,
    *,
    assistant: Assistant | None = None,
    settings: Settings | None = None,
    docs: str | Path | None = None,
    out: str | Path | None = None,
    report_dir: str | Path | None = None,
    baseline: bool | Baseline = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Run a question file through the assistant (and the peer baseline) and return the summary.

    docs: the documents the questions are about (default: the set's `.corpus` sidecar); they are
        indexed into a cached store of their own with assistant's models, and assistant's own
        index is not used. Without either, the questions go to assistant's index (seeded if empty).
    out: RESULTS.jsonl, one line per question and system (default: report_dir/results.jsonl).
    report_dir: also write report.md, summary.json and scores.png there.
    baseline: True (or a ready Baseline) also runs stock llama-index on the same questions.
    """
    questions = load_questions(questions_path)
    corpus_path = resolve_corpus(questions_path, docs)
    assistant = assistant or Assistant(settings)
    corpus = None
    if corpus_path is not None:
        assistant, corpus = corpus_assistant(corpus_path, assistant)
    else:
        assistant.ensure_seeded()
    _ = assistant.engine  # load the models now, so the first question's latency is a warm one
    results = Path(out) if out else Path(report_dir) / "results.jsonl" if report_dir else None
    records: dict[str, list[Record]] = {}
    with contextlib.ExitStack() as stack:
        sink = None
        if results is not None:
            results.parent.mkdir(parents=True, exist_ok=True)
            sink = stack.enter_context(results.open("w", encoding="utf-8"))
        records["ours"] = run_all(assistant, questions, name="ours", progress=progress, sink=sink)
        if baseline is not False:
            from assistant.baseline import Baseline

            peer = baseline if isinstance(baseline, Baseline) else Baseline(assistant)
            peer.build()
            try:
                records["baseline"] = run_all(
                    peer, questions, name="baseline", progress=progress, sink=sink
                )
            finally:
                if peer is not baseline:  # ours: do not leave a copy of the chunks behind
                    peer.drop()
    s = assistant.settings
    summary: dict[str, Any] = {name: summarize([r.scores for r in recs])
                               for name, recs in records.items()}  # fmt: skip
    summary.update(
        {
            "n": len(questions),
            "n_answerable": sum(q.answerable for q in questions),
            "n_unanswerable": sum(not q.answerable for q in questions),
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": machine(),
            "questions": str(questions_path),
            "set": set_name(questions_path),
            "corpus": corpus.to_dict() if corpus else None,
            "models": {
                "llm": s.models.llm_url or s.models.llm,
                "embedder": s.models.embedder,
                "threads": s.models.n_threads,
            },
            "failures": {name: failures(recs) for name, recs in records.items()},
        }
    )
    if report_dir is not None:
        write_report(summary, Path(report_dir))
    return summary


def format_sets_table(summaries: dict[str, dict[str, Any]], *, markdown: bool = False) -> str:
    """Several sets' summaries as one table: a row per set and system, a column per metric."""
    header = ["set", "n", "system"] + [m.label for m in METRICS]
    rows = [
        [name, str(summary["n"]), system]
        + ["–" if (v := summary[system].get(m.key)) is None else f"{v:.2f}" for m in METRICS]
        for name, summary in summaries.items()
        for system in SYSTEMS
        if system in summary
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i in (0, 2) else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [header, *rows])


__all__ = [
    "Question",
    "beats_baseline",
    "evaluate",
    "format_sets_table",
    "format_table",
    "Recomposed",
    "recompose",
    "load_questions",
    "write_chart",
    "write_report",
]
