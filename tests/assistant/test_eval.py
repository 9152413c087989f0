"""`assistant.eval`: question files, an end-to-end run with fakes, report files, the baseline."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.schema import NodeWithScore, TextNode

from assistant import Assistant, Settings
from assistant.answer import Timings
from assistant.baseline import Baseline, is_refusal
from assistant.errors import ConfigError
from assistant.eval import evaluate, format_sets_table, format_table, load_questions, recompose
from assistant.eval_corpus import corpus_key, default_corpus, resolve_corpus, set_name
from assistant.metrics import normalize
from index.ingest import expand_paths
from index.loaders import load_document
from index.store import ChunkStore

EN = "004_fc025db9153bd9ca"
SANCTIONS_SEED = f"{EN}.txt"
TESTS = Path(__file__).resolve().parents[1]
SEEDS = TESTS.parent / "seeds"
EVAL = TESTS / "eval"
BUNDLED = (EVAL / "seeds_dev.jsonl", EVAL / "seeds_test.jsonl")
GOOD = {"id": "q1", "question": "When were the sanctions lifted?", "answers": ["July 2016"],
        "sources": [EN], "answerable": True, "lang": "en"}  # fmt: skip


def write_lines(path: Path, *rows: Any) -> Path:
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return path


def test_load_questions(tmp_path: Path) -> None:
    history = [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]
    path = write_lines(
        tmp_path / "q.jsonl",
        GOOD,
        "",
        {"id": 7, "question": "Vem vann VM?", "answerable": False},
        {**GOOD, "id": "q3", "question": "And then?", "history": history},
    )
    q1, q2, q3 = load_questions(path)
    assert (q1.id, q1.answers, q1.sources, q1.answerable, q1.lang) == (
        "q1", ("July 2016",), (EN,), True, "en")  # fmt: skip
    assert (q2.id, q2.answerable, q2.answers, q2.lang) == ("7", False, (), "sv")  # lang detected
    assert q3.history_messages() == history
    assert q1.history_messages() == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"id": "q2", "question": "x",', "not valid JSON"),
        ('["q2", "x"]', "must be a JSON object"),
        ({"question": "Why?", "answerable": False}, '"id" is missing'),
        ({"id": "q2", "question": " ", "answerable": False}, '"question" is missing'),
        ({**GOOD, "id": "q2", "answers": "July 2016"}, '"answers" must be a list'),
        ({**GOOD, "id": "q2", "answers": []}, 'needs "answers"'),
        ({**GOOD, "id": "q2", "sources": []}, 'needs "sources"'),
        ({**GOOD, "id": "q2", "answerable": False}, '"answerable": false but "answers"'),
        ({**GOOD, "id": "q2", "answerable": "yes"}, "must be true or false"),
        ({**GOOD, "id": "q2", "answer": ["x"]}, "unknown field 'answer'"),
        ({**GOOD, "id": "q2", "lang": "english"}, "two-letter language code"),
        ({**GOOD, "id": "q2", "history": [{"role": "bot", "content": "x"}]}, "history message 1"),
        ({**GOOD, "id": "q2", "history": "Hi"}, '"history" must be a list'),
        (GOOD, "id 'q1' is already used on line 1"),
    ],
)
def test_malformed_line_names_line_and_problem(tmp_path: Path, line: Any, problem: str) -> None:
    path = write_lines(tmp_path / "q.jsonl", GOOD, "", line)
    with pytest.raises(ConfigError) as caught:
        load_questions(path)
    assert f"{path}:3:" in str(caught.value)
    assert problem in str(caught.value)


def test_empty_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="has no questions"):
        load_questions(write_lines(tmp_path / "empty.jsonl", ""))
    with pytest.raises(ConfigError, match="cannot read the question file"):
        load_questions(tmp_path / "missing.jsonl")


def test_malformed_file_fails_before_any_model_loads(tmp_path: Path) -> None:
    bad = write_lines(tmp_path / "bad.jsonl", GOOD, "{oops")
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(ConfigError, match=r"bad.jsonl:2: not valid JSON"):
        evaluate(bad, settings=settings, progress=False)
    assert not (tmp_path / "data").exists()  # no store opened, no model loaded


def test_bundled_question_set_is_valid_and_covers_the_issue() -> None:
    questions = [q for path in BUNDLED for q in load_questions(path)]
    assert len(questions) >= 40
    assert sum(not q.answerable for q in questions) >= 10
    assert {q.lang for q in questions} == {"en", "sv"}
    assert any(q.history for q in questions)
    seeds = {p.stem for p in SEEDS.glob("*.txt")}
    for q in questions:
        assert all(any(s in name for name in seeds) for s in q.sources), q.id
    by_id = {q.id: q for q in questions}
    assert "29 juni 2016" in by_id["f-phone-call"].answers
    assert by_id["c-injured"].question == "Hur många skadades i flyganfallet vid al-Bab?"
    assert by_id["c-injured"].sources == (EN,)  # Swedish question, English evidence
    assert by_id["u-france"].answerable is False


# --- end to end with fakes ---------------------------------------------------------------------


QUESTIONS = [
    GOOD,
    {"id": "q-follow", "question": "What did Erdogan offer to pay then?",
     "answers": ["compensation"], "sources": [EN], "lang": "en",
     "history": [{"role": "user", "content": "When were the sanctions lifted?"},
                 {"role": "assistant", "content": "In July 2016 [1]."}]},
    {"id": "q-wrong", "question": "How many soldiers were injured near al-Bab?",
     "answers": ["11"], "sources": [EN], "lang": "en"},
    {"id": "u-france", "question": "What is the capital of France?", "answerable": False,
     "lang": "en"},
]  # fmt: skip


# Replies for our engine (answer prompt ends "Answer in English.") and for the baseline, keyed
# by a piece of the prompt they answer. Every reply must be asked for: ours refuses the capital of
# France before asking the model, so only the baseline has a reply for it.
REWRITE = "What did Erdogan offer to pay when the sanctions were lifted?"
OURS = {
    "Question: When were the sanctions lifted?": ["Sanctions were lifted in July 2016 [1]."],
    "Rewrite the last question": [REWRITE],
    "Question: What did Erdogan offer to pay": ["Erdogan offered to pay compensation [1]."],
    "Question: How many soldiers": ["Twelve soldiers were injured [1]."],
}
BASELINE = {
    "<Standalone question>": [REWRITE],
    "Query: When were the sanctions lifted?": ["They were lifted in July 2016 [1]."],
    "Query: What did Erdogan offer to pay": ["He offered compensation [1]."],
    "Query: How many soldiers": ["11 soldiers were injured [2]."],
    "Query: What is the capital": ["Paris is the capital of France [1]."],
}  # fmt: skip


@pytest.fixture
def scripted_llm(fake_llm: Any) -> Any:
    """conftest's QueuedLLM, but with one reply queue per prompt piece (the test calls `use`);
    fails the test if a reply was never asked for."""

    class ScriptedLLM(type(fake_llm)):  # type: ignore[misc]
        def use(self, script: dict[str, list[str]]) -> None:
            self._script = {key: list(replies) for key, replies in script.items()}

        def _next(self, prompt: str) -> str:
            self._prompts.append(prompt)
            for key, replies in self._script.items():
                if key in prompt and replies:
                    return replies.pop(0)
            raise AssertionError(f"ScriptedLLM got an unexpected prompt:\n{prompt}")

        def assert_all_used(self) -> None:
            unused = {key: replies for key, replies in self._script.items() if replies}
            assert not unused, f"ScriptedLLM: replies never asked for: {unused}"

    llm = ScriptedLLM()
    llm.use({})
    yield llm
    llm.assert_all_used()


@pytest.fixture
def assistant(
    settings: Settings, scripted_llm: Any, fake_embedder: Any, chroma_client: Any,
    unique_collection: str,
) -> Assistant:  # fmt: skip
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    return Assistant(settings, llm=scripted_llm, embedder=fake_embedder, store=store)


@pytest.fixture
def baseline(assistant: Assistant, chroma_client: Any, unique_collection: str) -> Baseline:
    store = ChunkStore(assistant.settings, client=chroma_client, collection=unique_collection + "b")
    return Baseline(assistant, store=store)


def test_evaluate_end_to_end_writes_results_and_report(
    tmp_path: Path, assistant: Assistant, baseline: Baseline
) -> None:
    assistant.llm.use({**OURS, **BASELINE})
    path = write_lines(tmp_path / "questions.jsonl", *QUESTIONS)
    report = tmp_path / "report"
    summary = evaluate(path, assistant=assistant, report_dir=report, baseline=baseline,
                       progress=False)  # fmt: skip

    assert summary["n"] == 4 and summary["n_answerable"] == 3 and summary["n_unanswerable"] == 1
    assert summary["date"] and "CPU" in summary["machine"]
    lines = [json.loads(x) for x in (report / "results.jsonl").read_text().splitlines()]
    assert [(x["system"], x["id"]) for x in lines] == [
        (system, q["id"]) for system in ("ours", "baseline") for q in QUESTIONS
    ]
    ours = {x["id"]: x for x in lines if x["system"] == "ours"}
    first = ours["q1"]
    assert set(first) >= {"id", "answer", "scores"}
    assert set(first["answer"]) >= {"question", "standalone_question", "answer", "refused",
                                    "language", "citations", "timings"}  # fmt: skip
    assert first["answer"]["citations"][0]["source"].endswith(SANCTIONS_SEED)
    assert first["scores"]["correct"] == 1 and first["scores"]["hit@1"] == 1.0
    assert first["retrieved"][0] == SANCTIONS_SEED  # caught from llama-index's retrieval event
    follow = ours["q-follow"]
    assert follow["answer"]["standalone_question"].startswith("What did Erdogan offer to pay when")
    assert follow["scores"]["correct"] == 1
    # "Twelve" is in no evidence: the engine drops it and quotes the evidence instead
    wrong = ours["q-wrong"]["answer"]
    assert "Twelve" not in wrong["answer"] and wrong["mode"] == "quoted"
    (dropped,) = wrong["removed"]  # kept for analysis with the verifier's reason
    assert "Twelve" in dropped["sentence"] and "not in the cited text" in dropped["reason"]
    assert ours["q-wrong"]["scores"]["correct"] == 1  # the quote holds the right number
    assert [c["quote"] for c in wrong["citations"] if " 11 " in c["quote"]]
    assert ours["u-france"]["scores"]["refusal_correct"] == 1

    peer = {x["id"]: x for x in lines if x["system"] == "baseline"}
    assert peer["q-wrong"]["scores"]["correct"] == 1  # the baseline's reply had the number
    assert peer["u-france"]["scores"]["refusal_correct"] == 0  # it answered from "knowledge"
    assert summary["ours"]["refusal_accuracy"] == 1.0
    assert summary["baseline"]["refusal_accuracy"] == 0.0
    assert summary["failures"]["baseline"]["answered_unanswerable"] == ["u-france"]
    assert summary["failures"]["ours"]["answered_unanswerable"] == []

    assert json.loads((report / "summary.json").read_text()) == json.loads(json.dumps(summary))
    text = (report / "report.md").read_text()
    assert "| ours |" in text and "| baseline |" in text and "![scores](scores.png)" in text
    assert summary["machine"] in text and "u-france" in text
    assert (report / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    table = format_table(summary).splitlines()
    assert [row.split()[0] for row in table] == ["system", "ours", "baseline"]
    assert "acc" in table[0] and "MRR" in table[0] and "TTFT50" in table[0]


def test_recompose_checks_the_recorded_drafts_again_without_the_model(
    tmp_path: Path, assistant: Assistant, fake_embedder: Any, scripted_llm: Any
) -> None:
    assistant.llm.use(OURS)
    path = write_lines(tmp_path / "questions.jsonl", *QUESTIONS)
    report = tmp_path / "report"
    evaluate(path, assistant=assistant, report_dir=report, progress=False)
    results = report / "results.jsonl"
    asked = len(scripted_llm._prompts)

    def with_settings(section: str, **values: float) -> Assistant:
        changed = getattr(assistant.settings, section).model_copy(update=values)
        settings = assistant.settings.model_copy(update={section: changed})
        return Assistant(settings, llm=scripted_llm, embedder=fake_embedder, store=assistant.store)

    # The same code and settings make the same answers from the recorded drafts and evidence.
    again = recompose(path, results, assistant=assistant)
    assert [p.record.id for p in again] == [q["id"] for q in QUESTIONS]
    for p in again:
        assert p.record.answer.text == p.recorded["answer"]["answer"], p.record.id
        assert p.record.scores["correct"] == p.recorded["scores"]["correct"], p.record.id
        assert not p.needs_model
    assert len(scripted_llm._prompts) == asked  # the model was not asked again

    # A stricter setting is measured on the same drafts: the quote that replaced "Twelve" needs
    # more of the question's words now, so that question is refused.
    strict = with_settings("answer", quote_min_lexical=1.0, quote_min_dense=1.0)
    changed = {p.record.id: p.record for p in recompose(path, results, assistant=strict)}
    assert changed["q-wrong"].answer.refused and changed["q-wrong"].scores["correct"] == 0
    assert changed["q1"].answer.text == again[0].record.answer.text

    # The gate runs again too: a higher bar refuses what passed; what it refused and now lets
    # through had no draft, so it stays refused and is marked for a new run with the model.
    strict_gate = with_settings("retrieval", min_evidence_score=0.99)
    gated = {p.record.id: p for p in recompose(path, results, assistant=strict_gate)}
    assert gated["q1"].record.answer.refused and not gated["q1"].needs_model
    assert "close enough" in (gated["q1"].record.answer.refusal_reason or "")
    gated_then = tmp_path / "gated.jsonl"
    row = json.loads(results.read_text().splitlines()[0])  # q1, as if a stricter gate refused it
    row["draft"], row["prepared"]["refusal_reason"] = "", "no passage is close enough"
    gated_then.write_text(json.dumps(row) + "\n")
    (stale,) = recompose(path, gated_then, assistant=assistant)
    assert stale.needs_model and stale.record.answer.refused

    # results without drafts (another system's rows only, or an older file) say what to do
    baseline_only = tmp_path / "old.jsonl"
    first = json.loads(results.read_text().splitlines()[0])
    del first["prepared"]
    baseline_only.write_text(json.dumps(first) + "\n")
    with pytest.raises(ConfigError, match=r"old.jsonl, line 1: no recorded draft"):
        recompose(path, baseline_only, assistant=assistant)
    broken = tmp_path / "broken.jsonl"
    first = json.loads(results.read_text().splitlines()[0])
    del first["prepared"]["evidence"][0]["text"]
    broken.write_text(json.dumps(first) + "\n" + "{not json\n")
    with pytest.raises(ConfigError, match=r"broken.jsonl, line 1: its recorded evidence"):
        recompose(path, broken, assistant=assistant)
    broken.write_text("{not json\n")
    with pytest.raises(ConfigError, match=r"broken.jsonl, line 1: not valid JSON"):
        recompose(path, broken, assistant=assistant)


def test_evaluate_without_baseline_writes_only_our_rows(
    tmp_path: Path, assistant: Assistant
) -> None:
    key = "Question: When were the sanctions lifted?"
    assistant.llm.use({key: OURS[key]})
    path = write_lines(tmp_path / "questions.jsonl", GOOD)
    out = tmp_path / "out" / "results.jsonl"
    summary = evaluate(path, assistant=assistant, out=out, progress=False)
    assert "baseline" not in summary
    assert [json.loads(x)["system"] for x in out.read_text().splitlines()] == ["ours"]
    assert summary["ours"]["accuracy"] == 1.0
    assert summary["ours"]["refusal_accuracy"] is None
    assert "–" in format_table(summary)  # a metric that does not apply shows as a dash
    assert not (tmp_path / "report").exists()


# --- the baseline's answer shape -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("I cannot answer that from the documents.", True),
        ("None of the sources mention the capital of France.", True),
        ("The sources do not provide this information.", True),
        ("Det framgår inte av källorna.", True),
        ("", True),
        ("The sanctions were lifted in July 2016 [1].", False),
    ],
)
def test_baseline_refusal_cues(text: str, refused: bool) -> None:
    assert is_refusal(text) is refused


def test_baseline_answer_keeps_only_markers_that_name_a_source(baseline: Baseline) -> None:
    node = TextNode(
        text="Source 1:\nThe sanctions were eventually lifted in July 2016.\n",
        metadata={"source": f"/seeds/{SANCTIONS_SEED}", "name": SANCTIONS_SEED, "title": "",
                  "date": "", "language": "en", "start": 10},
    )  # fmt: skip
    answer = baseline.to_answer(
        "När hävdes sanktionerna?", "När hävdes sanktionerna?",
        "They were lifted in July 2016 [1][4].", [NodeWithScore(node=node, score=0.5)], Timings(),
    )  # fmt: skip
    assert [c.n for c in answer.citations] == [1]
    cited = answer.citations[0]
    assert cited.quote == "The sanctions were eventually lifted in July 2016."
    assert (cited.start, cited.end) == (10, 10 + len(cited.quote))
    assert answer.language == "sv" and not answer.refused and answer.mode == "generated"
    assert answer.to_dict()["citations"][0]["source"].endswith(SANCTIONS_SEED)


def test_recorder_keeps_the_first_outermost_retrieval():
    from llama_index.core.instrumentation.events.retrieval import (
        RetrievalEndEvent,
        RetrievalStartEvent,
    )
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.eval import RetrievalRecorder

    def end(*names: str) -> RetrievalEndEvent:
        nodes = [NodeWithScore(node=TextNode(text="x", metadata={"name": n})) for n in names]
        return RetrievalEndEvent(str_or_query_bundle="q", nodes=nodes)

    r = RetrievalRecorder()
    r.reset()
    start = RetrievalStartEvent(str_or_query_bundle="q")
    # fusion(dense, bm25), then a second pass over the Swedish documents only
    for event in [start, start, end("sv.txt"), start, end("en.txt"), end("en.txt", "sv.txt"),
                  start, start, end("sv.txt"), end("sv.txt")]:  # fmt: skip
        r.handle(event)
    assert r.names == ["en.txt", "sv.txt"]
    r.reset()
    assert r.names == [] and not r.recorded


# --- the bundled sets: split, over their own corpora, gold answers found in the sources ---------

SETS = sorted(p.stem for p in EVAL.glob("*.corpus"))
# Sets whose every gold answer comes from the sources (the yes/no sets: every one but the yes/no).
NEW_SETS = ("seeds2", "manuals", "manuals_de", "manuals3", "manuals4", "yesno", "yesno2", "yesno3")
YES_NO = {"yes", "ja", "no", "nej", "nein"}


def words(text: str) -> str:
    """Normalised words only: "<gdebi>" and "GOsa²" in a page are words like any other."""
    return " " + " ".join(re.findall(r"\w+", normalize(text))) + " "


def source_texts(corpus: Path) -> dict[str, str]:
    return {p.name: words(load_document(p).text) for p in expand_paths([corpus])[0]}


@pytest.mark.parametrize("name", SETS)
def test_every_bundled_set_is_split_once_and_names_its_corpus(name: str) -> None:
    dev, test = (load_questions(EVAL / f"{name}_{split}.jsonl") for split in ("dev", "test"))
    assert not (EVAL / f"{name}.jsonl").exists()  # one source of truth: the split files
    assert not {q.id for q in dev} & {q.id for q in test}
    assert abs(len(dev) - len(test)) <= max(2, (len(dev) + len(test)) // 10)  # about 50/50
    for split in (dev, test):
        assert any(not q.answerable for q in split) and any(q.answerable for q in split)
    corpus = default_corpus(EVAL / f"{name}_test.jsonl")
    assert corpus is not None and corpus == default_corpus(EVAL / f"{name}_dev.jsonl")
    names = [p.name for p in expand_paths([corpus])[0]]
    for q in dev + test:
        assert all(any(s in n for n in names) for s in q.sources), q.id


@pytest.mark.parametrize("name", NEW_SETS)
def test_gold_answers_occur_in_their_sources(name: str) -> None:
    texts = source_texts(default_corpus(EVAL / f"{name}_test.jsonl"))
    for split in ("dev", "test"):
        for q in load_questions(EVAL / f"{name}_{split}.jsonl"):
            if not q.answerable:
                continue
            sources = [t for n, t in texts.items() if any(s in n for s in q.sources)]
            if name.startswith("yesno"):
                # "yes"/"ja" answers the question, not a word the page must hold; the key
                # words from the page that may stand with it must be on the page
                facts = [a for a in q.answers if a not in YES_NO]
                assert set(q.answers) - set(facts), q.id
                assert all(any(words(a) in t for t in sources) for a in facts), q.id
            else:
                assert any(words(a) in t for a in q.answers for t in sources), q.id
            # an answer that only restates the question must not count as correct
            assert not any(words(a) in words(q.question) for a in q.answers), q.id


def test_manuals_set_covers_the_issue() -> None:
    qs = [q for split in ("dev", "test") for q in load_questions(EVAL / f"manuals_{split}.jsonl")]
    assert len(qs) >= 60 and sum(not q.answerable for q in qs) >= 15
    assert {q.lang for q in qs} == {"en", "sv"} and any(q.history for q in qs)
    kinds = {q.id.split("-")[0] for q in qs}
    assert kinds >= {"number", "name", "code", "howto", "yesno", "def", "unans", "follow"}
    # cross-language both ways: Swedish questions over English pages and the other way round
    assert any(q.lang == "sv" and "-x-" in q.id and "-en-" in q.sources[0] for q in qs)
    assert any(q.lang == "en" and "-x-" in q.id and "-sv-" in q.sources[0] for q in qs)
    german = [q for s in ("dev", "test") for q in load_questions(EVAL / f"manuals_de_{s}.jsonl")]
    assert {q.lang for q in german} >= {"de"}


@pytest.mark.parametrize("name", ["manuals3", "manuals4"])
def test_a_debian_reference_set_mixes_languages_kinds_and_cross_language_evidence(name) -> None:
    qs = [q for split in ("dev", "test") for q in load_questions(EVAL / f"{name}_{split}.jsonl")]
    assert 60 <= len(qs) <= 70 and sum(not q.answerable for q in qs) >= 20
    assert {q.lang for q in qs} == {"en", "sv", "de"}
    kinds = {q.id.split("-")[0] for q in qs}
    assert kinds >= {"number", "date", "name", "code", "howto", "yesno", "def", "unans"}

    # debref-en-…, debref-de-… and man-sv-… documents: "-x-" exactly when the languages differ
    def doc_lang(source: str) -> str:
        return "sv" if source.startswith("man-sv-") else source.split("-")[1]

    answerable = [q for q in qs if q.answerable]
    assert all(len(q.sources) == 1 for q in answerable)
    assert all(("-x-" in q.id) == (q.lang != doc_lang(q.sources[0])) for q in answerable)
    assert sum("-x-" in q.id for q in qs) >= 15
    for lang in ("en", "sv", "de"):  # every language asks about the other two
        assert {doc_lang(q.sources[0]) for q in answerable if q.lang == lang} == {"en", "sv", "de"}
    assert all(q.id.startswith("unans-") and not q.answers for q in qs if not q.answerable)


def test_split_is_seeded_stratified_and_written_once(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("split_eval", TESTS.parent / "scripts" /
                                                  "split_eval.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    split_eval = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(split_eval)
    rows = [{**GOOD, "id": f"a{i}", "lang": "en" if i % 3 else "sv"} for i in range(20)]
    rows += [{"id": f"u{i}", "question": "Why?", "answerable": False, "lang": "en"}
             for i in range(6)]  # fmt: skip
    path = write_lines(tmp_path / "demo.jsonl", *rows)
    lines = path.read_text().splitlines()
    dev, test = split_eval.split(lines, 7)
    assert (dev, test) == split_eval.split(lines, 7)  # the seed decides
    assert sorted(dev + test) == sorted(lines) and abs(len(dev) - len(test)) <= 1
    assert sum('"u' in x for x in dev) == 3  # every kind halved
    assert [lines.index(x) for x in dev] == sorted(lines.index(x) for x in dev)  # order kept
    assert split_eval.main([str(path), "--seed", "7"]) == 0
    assert not path.exists()
    assert len(load_questions(tmp_path / "demo_dev.jsonl")) == len(dev)
    write_lines(path, *rows)
    assert split_eval.main([str(path)]) == 1  # a set is split only once


# --- a set over its own corpus ---------------------------------------------------------------

ANSWER = "Sanctions were lifted in July 2016 [1]."


def test_set_names_and_sidecars(tmp_path: Path) -> None:
    assert set_name("x/manuals_test.jsonl") == "manuals" == set_name("manuals_dev.jsonl")
    assert set_name("manuals_de_test.jsonl") == "manuals_de"
    assert set_name("my_questions.jsonl") == "my_questions"
    docs = tmp_path / "corpora" / "handbook"
    docs.mkdir(parents=True)
    (tmp_path / "sets").mkdir()
    questions = write_lines(tmp_path / "sets" / "hb_test.jsonl", GOOD)
    assert default_corpus(questions) is None
    (tmp_path / "sets" / "hb.corpus").write_text("# the handbook\n../corpora/handbook\n")
    assert default_corpus(questions) == docs.resolve()
    assert resolve_corpus(questions, tmp_path) == tmp_path.resolve()  # --docs wins
    (tmp_path / "sets" / "hb.corpus").write_text("../corpora/missing\n")
    with pytest.raises(ConfigError, match=r"hb.corpus: ../corpora/missing .* does not exist"):
        default_corpus(questions)
    with pytest.raises(ConfigError, match="no such file or folder"):
        resolve_corpus(questions, tmp_path / "nowhere")


def test_docs_indexes_into_its_own_cached_store_and_leaves_the_index_alone(
    tmp_path: Path, assistant: Assistant, scripted_llm: Any
) -> None:
    assistant.ingest([SEEDS / SANCTIONS_SEED])  # the user's own index
    before = assistant.store.documents()
    docs = tmp_path / "handbook"
    docs.mkdir()
    (docs / "policy.txt").write_text("The sanctions were lifted in July 2016 by the board.\n")
    path = write_lines(tmp_path / "questions.jsonl", GOOD | {"sources": ["policy"]})
    scripted_llm.use({"Question: When were the sanctions lifted?": [ANSWER] * 3})  # 3 runs

    first = evaluate(path, assistant=assistant, docs=docs, out=tmp_path / "r.jsonl",
                     progress=False)  # fmt: skip
    answer = json.loads((tmp_path / "r.jsonl").read_text().splitlines()[0])["answer"]
    assert answer["citations"][0]["source"].endswith("policy.txt")  # not the user's seed
    assert first["ours"]["accuracy"] == 1.0
    corpus = first["corpus"]
    assert (corpus["documents"], corpus["indexed"], corpus["unchanged"]) == (1, 1, 0)
    store_dir = Path(corpus["data_dir"])
    assert store_dir.parent == Path(assistant.settings.data_dir) / "eval"
    assert (store_dir / "chroma").is_dir()
    assert assistant.store.documents() == before  # the user's index: not seeded, not changed

    second = evaluate(path, assistant=assistant, docs=docs, progress=False)
    assert second["corpus"]["key"] == corpus["key"]
    assert (second["corpus"]["indexed"], second["corpus"]["unchanged"]) == (0, 1)  # no re-embed
    # The same corpus at another path shares the store, and replaces the old path's documents.
    moved = tmp_path / "copy-of-handbook"
    shutil.copytree(docs, moved)
    third = evaluate(path, assistant=assistant, docs=moved, progress=False)
    assert third["corpus"]["key"] == corpus["key"] and third["corpus"]["documents"] == 1
    (docs / "policy.txt").write_text("The sanctions were lifted in July 2016 by the council.\n")
    assert corpus_key(docs, assistant.settings) != corpus["key"]  # new content, new store


def test_baseline_leaves_no_collections_behind(
    tmp_path: Path, assistant: Assistant, scripted_llm: Any
) -> None:
    import chromadb

    docs = tmp_path / "handbook"
    docs.mkdir()
    (docs / "policy.txt").write_text("The sanctions were lifted in July 2016 by the board.\n")
    path = write_lines(tmp_path / "questions.jsonl", GOOD | {"sources": ["policy"]})
    scripted_llm.use({"Question: When were the sanctions lifted?": [ANSWER],
                      "Query: When were the sanctions lifted?": [ANSWER]})  # fmt: skip
    summary = evaluate(path, assistant=assistant, docs=docs, baseline=True, progress=False)
    assert summary["baseline"]["accuracy"] == 1.0
    client = chromadb.PersistentClient(
        path=str(Path(summary["corpus"]["data_dir"]) / "chroma"),
        settings=chromadb.Settings(anonymized_telemetry=False),
    )
    names = [getattr(c, "name", c) for c in client.list_collections()]
    assert names and not [n for n in names if "__baseline" in n]


def test_format_sets_table() -> None:
    row = {"accuracy": 0.5, "refusal_accuracy": None}
    summaries = {"manuals_test": {"n": 4, "ours": row, "baseline": row},
                 "seeds_test": {"n": 2, "ours": row}}  # fmt: skip
    table = format_sets_table(summaries).splitlines()
    assert table[0].split()[:4] == ["set", "n", "system", "acc"]
    assert [r.split()[:3] for r in table[1:]] == [
        ["manuals_test", "4", "ours"],
        ["manuals_test", "4", "baseline"],
        ["seeds_test", "2", "ours"],
    ]
    assert "| set | n | system |" in format_sets_table(summaries, markdown=True)


def test_cli_runs_several_sets_each_over_its_own_documents(
    tmp_path: Path, assistant: Assistant, scripted_llm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from assistant import cli

    monkeypatch.setattr(cli, "_assistant", lambda **_: assistant)
    (tmp_path / "handbook").mkdir()
    (tmp_path / "handbook" / "policy.txt").write_text("The sanctions were lifted in July 2016.\n")
    (tmp_path / "hb.corpus").write_text("handbook\n")
    hb = write_lines(tmp_path / "hb_test.jsonl", GOOD | {"sources": ["policy"]})
    own = write_lines(tmp_path / "own_test.jsonl", GOOD)  # no sidecar: the user's index
    scripted_llm.use({"Question: When were the sanctions lifted?": [ANSWER, ANSWER]})  # 2 sets

    result = CliRunner().invoke(cli.main, ["eval", str(hb), str(own), "--report",
                                           str(tmp_path / "report")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "hb_test.jsonl: 1 documents from" in result.stderr  # indexed apart
    assert "indexed the bundled seeds" in result.stderr  # the set without a corpus
    rows = [line.split()[:3] for line in result.stdout.splitlines()]
    assert rows == [["set", "n", "system"], ["hb_test", "1", "ours"], ["own_test", "1", "ours"]]
    assert (tmp_path / "report" / "hb_test" / "report.md").exists()
    assert [d.name for d in assistant.store.documents()] == sorted(p.name for p in SEEDS.iterdir())

    result = CliRunner().invoke(cli.main, ["eval", str(hb), str(own), "--out", "x.jsonl"])
    assert result.exit_code == 2 and "--out takes one question file" in result.output
