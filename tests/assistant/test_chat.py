"""Follow-up rewriting with a queued LLM: the model's rewrite, or a fallback that keeps context."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from assistant.chat import condense, previous_question, render_history, token_counter
from assistant.prompts import load_prompts

ROOT = Path(__file__).resolve().parents[2]

HISTORY = [
    ChatMessage(role=MessageRole.USER, content="Var möttes presidenterna i augusti 2016?"),
    ChatMessage(role=MessageRole.ASSISTANT, content="I S:t Petersburg [1]."),
]


@pytest.fixture
def prompt():
    return load_prompts(ROOT / "prompts")["condense"]


def test_a_good_rewrite_is_used(fake_llm, prompt):
    fake_llm.queue("Vad meddelades i S:t Petersburg i augusti 2016?")
    got = condense(fake_llm, prompt, "Vad meddelades där?", HISTORY, "Swedish")
    assert got == "Vad meddelades i S:t Petersburg i augusti 2016?"
    assert "Var möttes presidenterna i augusti 2016?" in fake_llm.prompts[0]


@pytest.mark.parametrize(
    "label", ["Fråga:", "Rewritten question:", "QUESTION :", "Omskriven fråga:", "Frage:"]
)
def test_a_label_before_the_rewrite_in_any_language_file_is_not_part_of_it(fake_llm, prompt, label):
    fake_llm.queue(f"{label} Vad meddelades i S:t Petersburg i augusti 2016?")
    got = condense(fake_llm, prompt, "Vad meddelades där?", HISTORY, "Swedish")
    assert got == "Vad meddelades i S:t Petersburg i augusti 2016?"


@pytest.mark.parametrize("reply", ["Vad meddelades där?", "", "Rewritten question:"])
def test_an_unchanged_or_empty_rewrite_leaves_the_question_as_asked(fake_llm, prompt, reply):
    fake_llm.queue(reply)
    got = condense(fake_llm, prompt, "Vad meddelades där?", HISTORY, "Swedish")
    assert got == "Vad meddelades där?"


def test_a_rewrite_that_drops_the_questions_numbers_is_rejected(fake_llm, prompt):
    fake_llm.queue("What happened then?")
    got = condense(fake_llm, prompt, "What happened in 2017 then?", HISTORY, "English")
    assert got == "What happened in 2017 then?"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When were the sanctions lifted?", None),  # no word pointing back
        ("Why did he call him?", "Var möttes presidenterna i augusti 2016?"),
        ("Vad meddelades där?", "Var möttes presidenterna i augusti 2016?"),
        ("Was wurde dort angekündigt?", "Var möttes presidenterna i augusti 2016?"),  # de.toml
        ("Wie installiere ich das Paket?", None),  # "das" is mostly an article
    ],
)
def test_previous_question_only_for_questions_that_refer_back(question, expected):
    assert previous_question(question, HISTORY) == expected
    assert previous_question(question, []) is None


# -- the history fits the context window ---------------------------------------------------------
def counter():
    return token_counter(None)  # tiktoken: the fake LLM has no tokenizer of its own


def test_history_keeps_the_newest_turns_within_the_budget():
    count = counter()
    history = [
        ChatMessage(role=MessageRole.USER, content=f"Question number {i} about the meeting?")
        for i in range(6)
    ]
    everything = render_history(history)
    trimmed = render_history(history, budget=20, count=count)
    assert count(trimmed) <= 20
    assert trimmed.endswith("Question number 5 about the meeting?")
    assert "number 0" in everything and "number 0" not in trimmed


def test_a_single_huge_turn_is_cut_not_sent_whole():
    count = counter()
    history = [
        ChatMessage(role=MessageRole.USER, content="What happened?"),
        ChatMessage(role=MessageRole.ASSISTANT, content="word " * 50_000),
    ]
    rendered = render_history(history, budget=100, count=count)
    assert count(rendered) <= 100 and rendered.endswith("…")


def test_condense_prompt_fits_the_context_window_whatever_the_history(fake_llm, prompt):
    count = counter()
    history = [
        ChatMessage(role=MessageRole.USER, content="Var möttes presidenterna? " * 2_000),
        ChatMessage(role=MessageRole.ASSISTANT, content="I S:t Petersburg [1]. " * 5_000),
    ]
    fake_llm.queue("Vad meddelades i S:t Petersburg?")
    condense(
        fake_llm,
        prompt,
        "Vad meddelades där?",
        history,
        "Swedish",
        history_tokens=10_000,
        context_window=2048,
        count=count,
    )
    assert count(fake_llm.prompts[0]) <= 2048 - 64


def test_no_room_for_history_leaves_the_question_as_asked(fake_llm, prompt):
    got = condense(
        fake_llm,
        prompt,
        "Vad meddelades där? " * 200,
        HISTORY,
        "Swedish",
        context_window=512,
        count=counter(),
    )
    assert got == "Vad meddelades där? " * 200 and fake_llm.prompts == []


def test_token_counter_uses_a_local_models_own_tokenizer():
    class Vocab:
        def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
            assert not add_bos and not special  # text is counted as it enters a message
            return list(text)  # one id per byte

    count = token_counter(SimpleNamespace(_model=Vocab()))
    assert count("åb") == 3
