"""Input limits of the Python API: questions by characters and tokens, history by tokens."""

from __future__ import annotations

import pytest

from assistant import Assistant, AssistantError, Settings
from assistant.chat import token_counter
from index.store import ChunkStore


@pytest.fixture
def assistant(tmp_path, fake_llm, fake_embedder, chroma_client, unique_collection):
    settings = Settings(
        data_dir=tmp_path / "data",
        limits={"question_chars": 200, "question_tokens": 12, "history_tokens": 100},
        models={"context_window": 1024},
    )
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    return Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty question"),
        ("   \n ", "empty question"),
        ("x" * 201, "the question is 201 characters long and the limit is 200"),
        ("why " * 40, "tokens long and the limit is 12"),
    ],
)
def test_questions_past_a_limit_are_refused_with_the_limit(assistant, fake_llm, question, message):
    with pytest.raises(AssistantError, match=message):
        assistant.ask(question)
    assert fake_llm.prompts == []  # nothing reached the model


def test_a_question_at_the_limit_is_asked(assistant, fake_llm):
    assistant.ensure_seeded()
    question = "When were the sanctions lifted?"
    assert assistant.count_tokens(question) <= 12
    fake_llm.queue("The sanctions were lifted in July 2016 [1].")
    assert "July 2016" in assistant.ask(question).text


def test_a_long_conversation_still_fits_the_context_window(assistant, fake_llm):
    assistant.ensure_seeded()
    history = []
    for _ in range(20):
        history += [
            {"role": "user", "content": "What did they agree on? " * 50},
            {"role": "assistant", "content": "They agreed on trade [1]. " * 200},
        ]
    fake_llm.queue("When were the sanctions lifted?", "The sanctions were lifted in July 2016 [1].")
    assistant.ask("When were they lifted?", history)
    count = token_counter(None)
    condense_prompt = fake_llm.prompts[0]
    assert count(condense_prompt) <= 1024 - 64
    assert "They agreed on trade" in condense_prompt  # the newest turn is there, cut short
