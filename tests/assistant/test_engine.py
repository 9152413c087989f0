"""The answer engine and Python API with fakes: queued LLM, hashed embedder, in-memory Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

import assistant as package
from assistant import Answer, Assistant, Settings
from assistant.answer import warm_up
from assistant.errors import AssistantError, ConfigError, DocumentError, PromptError
from assistant.prompts import load_prompts
from assistant.settings import REFUSALS
from index.store import ChunkStore

REFUSAL_EN, REFUSAL_SV = REFUSALS["en"], REFUSALS["sv"]

ROOT = Path(__file__).resolve().parents[2]
SANCTIONS = "The sanctions were eventually lifted in July 2016"


@pytest.fixture
def make(settings, fake_llm, fake_embedder, chroma_client, unique_collection):
    def build(*replies: str) -> Assistant:
        fake_llm.queue(*replies)
        store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
        a = Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)
        a.ensure_seeded()
        return a

    return build


def test_public_api_is_small_and_explicit():
    assert set(package.__all__) >= {"Assistant", "Answer", "Citation", "Settings"}
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_answer_cites_the_exact_span(make, fake_llm):
    a = make("The sanctions were lifted in July 2016, when Erdogan apologized [1].")
    answer = a.ask("When were the sanctions lifted?")
    assert not answer.refused
    assert answer.text == "The sanctions were lifted in July 2016, when Erdogan apologized [1]."
    (c,) = answer.citations
    assert c.n == 1 and c.name == "004_fc025db9153bd9ca.txt"
    assert c.quote.startswith(SANCTIONS)
    raw = (ROOT / "seeds" / c.name).read_text(encoding="utf-8")
    assert c.quote in raw  # verbatim span of the source file
    # the evidence shown to the model is short: a few sentences, not whole articles
    prompt = fake_llm.prompts[-1]
    assert SANCTIONS in prompt and "Sign up" not in prompt and len(prompt) < 2500


def test_quote_offsets_point_into_the_cleaned_document(make):
    from index.loaders import load_document

    a = make("The sanctions were lifted in July 2016 [1].")
    c = a.ask("When were the sanctions lifted?").citations[0]
    doc = load_document(c.source)
    assert doc.text[c.start : c.end] == c.quote


def test_unsupported_sentences_are_removed(make):
    a = make("The sanctions were lifted in July 2016 [1]. They cost Turkey 9 billion dollars [1].")
    answer = a.ask("When were the sanctions lifted?")
    assert "9 billion" not in answer.text
    assert any("9 billion" in s for s in answer.removed)
    assert "July 2016" in answer.text


def test_invented_answer_falls_back_to_a_quote(make):
    a = make("The sanctions were lifted in March 2019 [1].")
    answer = a.ask("When were the sanctions lifted?")
    assert answer.mode == "quoted" and not answer.refused
    assert SANCTIONS in answer.text and answer.text.endswith("[1]")
    assert answer.citations[0].quote in answer.text


def test_out_of_scope_question_is_refused_without_asking_the_llm(make, fake_llm):
    a = make()  # no reply queued: calling the LLM would fail the test
    answer = a.ask("What is the capital of France?")
    assert answer.refused and answer.text == REFUSAL_EN and not answer.citations
    assert fake_llm.prompts == []


def test_llm_saying_paris_is_never_shown(make, fake_llm, tmp_path):
    # A document about France's capital that never names it: the question passes the gate, so
    # the model's "Paris" (from its own knowledge) reaches the citation check.
    note = tmp_path / "summit.txt"
    note.write_text("The summit was held in the capital of France in March 2016.\n")
    a = make("Paris is the capital of France [1].")
    a.ingest([note])
    answer = a.ask("Which city is the capital of France?")
    assert fake_llm.prompts and "capital of France" in fake_llm.prompts[-1]
    assert "Paris" not in answer.text


def test_llm_refusal_with_weak_evidence_is_a_refusal(make):
    a = make(REFUSAL_EN)
    answer = a.ask("What did Erdogan eat for breakfast after the sanctions?")
    assert answer.refused and answer.citations == ()


def test_swedish_question_gets_swedish_refusal(make, fake_llm):
    a = make()  # refused by the evidence gate: the model is never asked
    answer = a.ask("Vad är huvudstaden i Frankrike?")
    assert answer.refused and answer.text == REFUSAL_SV and answer.language == "sv"
    assert not fake_llm.prompts


def test_stream_yields_text_then_the_checked_answer(make):
    a = make("The sanctions were lifted in July 2016 [1].")
    items = list(a.stream("When were the sanctions lifted?"))
    assert all(isinstance(i, str) for i in items[:-1]) and len(items) > 2
    assert "".join(items[:-1]) == "The sanctions were lifted in July 2016 [1]."
    final = items[-1]
    assert isinstance(final, Answer) and final.timings.first_token_s is not None
    assert final.timings.total_s >= final.timings.retrieve_s


def test_follow_up_is_rewritten_with_the_history(make, fake_llm):
    a = make(
        "When did Putin and Erdogan first speak on the phone after the sanctions?",
        "Two days later the leaders spoke on the phone [1].",
    )
    history = [
        {"role": "user", "content": "What did Moscow do to punish Ankara?"},
        {"role": "assistant", "content": "Moscow imposed economic sanctions [1]."},
    ]
    answer = a.ask("When did the two presidents first speak on the phone after that?", history)
    assert answer.standalone_question.startswith("When did Putin and Erdogan")
    assert "What did Moscow do to punish Ankara?" in fake_llm.prompts[0]
    assert answer.to_dict()["standalone_question"] == answer.standalone_question


def test_json_shape(make):
    a = make("The sanctions were lifted in July 2016 [1].")
    data = a.ask("When were the sanctions lifted?").to_dict()
    assert {"question", "answer", "refused", "language", "citations", "timings"} <= set(data)
    assert set(data["citations"][0]) >= {
        "n",
        "source",
        "title",
        "date",
        "quote",
        "start",
        "end",
        "score",
    }
    assert set(data["timings"]) >= {"retrieve_s", "generate_s", "total_s"}
    assert data["refusal_reason"] is None


def test_a_refused_answer_says_why_in_its_json(make, fake_llm):
    data = make().ask("What is the capital of Peru?").to_dict()
    assert data["refused"] and data["refusal_reason"] == "the documents do not mention peru"


def test_a_question_about_nothing_in_the_documents_asks_the_model_once_at_most(make, fake_llm):
    a = make(REFUSAL_EN)
    answer = a.ask("What did Erdogan eat for breakfast after the sanctions?")
    assert answer.refused and len(fake_llm.prompts) <= 1


def test_follow_up_the_model_cannot_rewrite_retrieves_with_the_question_before(make, fake_llm):
    a = make(
        "Vad meddelades där?",  # the model's rewrite: unchanged
        "Förbindelserna ska återupprättas [1].",
    )
    history = [
        {"role": "user", "content": "Var möttes presidenterna i augusti 2016?"},
        {"role": "assistant", "content": "I S:t Petersburg [1]."},
    ]
    answer = a.ask("Vad meddelades där?", history)
    prompt = fake_llm.prompts[-1]
    assert "återupprättas" in prompt  # the sentence "där" points at was found
    assert "Question: Vad meddelades där?" in prompt  # the model is asked the follow-up
    assert not answer.refused and "återupprättas" in answer.citations[0].quote


def test_empty_question_is_an_error(make):
    with pytest.raises(AssistantError, match="empty question"):
        make().ask("   ")


def test_bad_history_is_a_clear_error(make):
    with pytest.raises(ConfigError, match="role"):
        make().ask("When?", history=[{"role": "robot", "content": "x"}])


def test_remove_by_name_and_unknown(make):
    a = make()
    gone = a.remove("000_de2dd51f3474cc85.txt")
    assert gone.language == "sv"
    assert [d.name for d in a.sources()] == ["004_fc025db9153bd9ca.txt"]
    with pytest.raises(DocumentError, match="assistant sources"):
        a.remove("nope.txt")


def test_prompt_without_placeholder_fails_at_start(tmp_path):
    for p in (ROOT / "prompts").glob("*.md"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "answer_user.md").write_text("Evidence: $evidence\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"\$question"):
        load_prompts(tmp_path)
    with pytest.raises(PromptError, match="missing"):
        Assistant(Settings(data_dir=tmp_path / "d", prompts_dir=tmp_path / "none"))


def test_refusal_sentence_is_one_constant_shared_with_the_prompt():
    prompts = load_prompts(ROOT / "prompts")
    assert REFUSAL_EN in prompts["answer_system"].render(refusal=REFUSAL_EN)
    assert "$refusal" in (ROOT / "prompts" / "answer_system.md").read_text(encoding="utf-8")


def test_the_fixed_part_of_the_prompt_is_the_same_in_every_language(make, fake_llm):
    """llama.cpp reuses the evaluated state of a prompt's longest common prefix: the system
    text and the worked example must not depend on the question's language."""
    a = make(
        "The sanctions were lifted in July 2016 [1].",
        "Presidenterna möttes i S:t Petersburg [1].",
    )
    a.ask("When were the sanctions lifted?")
    a.ask("Var möttes presidenterna i augusti 2016?")
    english, swedish = fake_llm.prompts
    fixed = english[: english.rindex("user: ")]
    assert swedish.startswith(fixed) and REFUSAL_EN in fixed
    assert REFUSAL_SV not in swedish


def test_the_warm_up_reads_the_prefix_every_answer_prompt_starts_with(make, fake_llm):
    """After a start the first answer reuses what the warm-up had the model read."""
    a = make("", "The sanctions were lifted in July 2016 [1].", "")
    warm_up(fake_llm, a.prompts)
    a.ask("When were the sanctions lifted?")
    warm_up(fake_llm, a.prompts)
    warm, asked, again = fake_llm.prompts
    fixed = warm[: warm.rindex("user: ")]
    assert REFUSAL_EN in fixed and "July 2016" not in fixed
    assert asked.startswith(fixed) and asked[len(fixed) :].startswith("user: Evidence:")
    assert again == warm


@pytest.fixture
def local_model(settings, fake_llm, fake_embedder, chroma_client, unique_collection, monkeypatch):
    """An Assistant that loads its LLM itself, as with the bundled model (here: the fake)."""
    import assistant.models

    monkeypatch.setattr(assistant.models, "load_llm", lambda _settings: fake_llm)

    def build(settings: Settings = settings) -> Assistant:
        store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
        return Assistant(settings, embedder=fake_embedder, store=store)

    return build


def test_a_loaded_model_is_warmed_up_while_the_engine_is_built(local_model, fake_llm):
    fake_llm.queue("", "The sanctions were lifted in July 2016 [1].")
    a = local_model()
    a.ensure_seeded()
    assert a.engine is not None and a._warming is not None
    a._warming.join(timeout=30)
    assert len(fake_llm.prompts) == 1 and fake_llm.prompts[0].endswith("user: ")
    assert a.ask("When were the sanctions lifted?").text.startswith("The sanctions were lifted")


def test_the_first_question_of_a_start_warms_the_model_up_before_counting_its_tokens(
    local_model, fake_llm
):
    """Counting the question's tokens loads the LLM; the warm-up still runs (it once did not)."""
    fake_llm.queue("", "The sanctions were lifted in July 2016 [1].")
    a = local_model()
    a.ensure_seeded()
    answer = a.ask("When were the sanctions lifted?")
    assert a._warming is not None
    a._warming.join(timeout=30)
    assert fake_llm.prompts[0].endswith("user: ")  # the warm-up's prompt came first
    assert answer.text.startswith("The sanctions were lifted")


@pytest.mark.parametrize(
    "models",
    [{"warm_up": False}, {"llm_url": "http://127.0.0.1:9/v1"}],
    ids=["switched off", "a server"],
)
def test_no_warm_up_when_switched_off_or_for_a_server(local_model, fake_llm, settings, models):
    a = local_model(Settings(data_dir=settings.data_dir, models=models))
    assert a.engine is not None and a._warming is None
    assert fake_llm.prompts == []


def test_no_warm_up_for_a_given_llm(make, fake_llm):
    a = make()
    assert a.engine is not None and a._warming is None
    assert fake_llm.prompts == []


def test_over_evidence_only_in_another_language_the_model_answers_in_its_language(
    settings, fake_llm, fake_embedder, chroma_client, unique_collection, tmp_path
):
    """A Swedish question over English documents: the model is asked for English (it copies
    facts well, and writes the question back when asked to translate); the user gets the
    checked English sentence quoted, led in Swedish."""
    doc = tmp_path / "router.md"
    doc.write_text(
        "# Router\n\nTo reach the router from inside the network, log in with ssh to its IP "
        "address 10.0.2.1 as the admin user.\n",
        encoding="utf-8",
    )
    # The hashed fake embedder has no sense across languages: the gate is the real one's.
    settings = Settings(data_dir=settings.data_dir, retrieval={"min_evidence_score": 0.0})
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    a = Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)
    a.ingest([doc])
    fake_llm.queue("You log in with ssh to 10.0.2.1 [1].")
    answer = a.ask("Vilken IP-adress loggar man in på med ssh för att nå routern?")
    assert "Reply in English" in fake_llm.prompts[-1]
    assert answer.language == "sv" and answer.text.startswith("Dokumenten säger: ")
    assert "10.0.2.1" in answer.citations[0].quote and not answer.refused


def test_an_option_is_cited_with_the_description_under_it(make, fake_llm, tmp_path):
    """A manual page's option line and its indented description are one piece of evidence
    end to end: the model is shown both, and the answer's quote holds the option."""
    page = tmp_path / "cut.txt"
    page.write_text(
        "CUT(1)                     User Commands                    CUT(1)\n\n"
        "OPTIONS\n"
        "       -b, --bytes=LIST\n"
        "              Select only these bytes.\n\n"
        "       -d, --delimiter=DELIM\n"
        "              Use DELIM instead of TAB for field delimiter.\n\n"
        "       -s, --only-delimited\n"
        "              Do not print lines not containing delimiters.\n",
        encoding="utf-8",
    )
    a = make()
    a.ingest([page])
    fake_llm.queue("The -d option sets a delimiter other than TAB [1].")
    answer = a.ask("Which cut option sets a field delimiter other than TAB?")
    assert "-d, --delimiter=DELIM Use DELIM instead of TAB" in fake_llm.prompts[-1]
    assert not answer.refused
    quote = " ".join(answer.citations[0].quote.split())
    assert quote == "-d, --delimiter=DELIM Use DELIM instead of TAB for field delimiter."
