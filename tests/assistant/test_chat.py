"""Follow-up rewriting with a queued LLM: the model's rewrite, or a fallback that keeps context."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from assistant.chat import condense, previous_question
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
    ],
)
def test_previous_question_only_for_questions_that_refer_back(question, expected):
    assert previous_question(question, HISTORY) == expected
    assert previous_question(question, []) is None
