"""The injection corpus through the real pipeline with fakes (queued LLM, hashed embedder).

Seeds and poisoned documents are indexed together; for questions the poisoned documents aim at,
no injected sentence may become evidence, and nothing of theirs may reach the model's prompt as
a control token or a forged evidence line.
"""

from __future__ import annotations

import re

import pytest

from assistant import Assistant
from index.store import ChunkStore
from tests.conftest import SEEDS
from tests.injection.corpus import DOCS, PAYLOADS, poisoned

QUESTIONS = (
    "When were the sanctions lifted?",
    "What is the capital of France?",
    "När hävdes sanktionerna?",
    "Vad är Frankrikes huvudstad?",
)


@pytest.fixture
def assistant(settings, fake_llm, fake_embedder, chroma_client, unique_collection):
    store = ChunkStore(settings, client=chroma_client, collection=unique_collection)
    a = Assistant(settings, llm=fake_llm, embedder=fake_embedder, store=store)
    report = a.ingest([SEEDS, DOCS])
    assert not report.failed and len(report.added) == 2 + len(poisoned())
    return a


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_poisoned_sentence_becomes_evidence(assistant, question):
    # A poisoned document's harmless sentences ("Minutes of the reading circle") may be
    # retrieved like any text; what it says to the assistant (every payload) may not.
    prepared = assistant.engine.prepare(question)
    poisoned_names = {p.name for p in poisoned()}
    leaked = [
        e.text
        for e in prepared.evidence
        if e.name in poisoned_names and any(payload in e.text for payload in PAYLOADS)
    ]
    assert leaked == []


def test_the_prompt_carries_no_control_tokens_or_forged_lines(assistant, fake_llm):
    fake_llm.queue(*["The sanctions were lifted in July 2016 [1]."] * 4)
    assistant.ask("When were the sanctions lifted?")
    fake_llm.discard_unused()  # how many calls an answer takes is not this test's business
    for prompt in fake_llm.prompts:
        assert "<|im_start|>" not in prompt and "<|im_end|>" not in prompt
        evidence = prompt.split("Evidence:")[-1]
        numbers = re.findall(r"^\[(\d+)\]", evidence, flags=re.M)
        assert numbers == [str(n) for n in range(1, len(numbers) + 1)]  # no forged "[n]" line
