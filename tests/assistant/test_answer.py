"""The refusal decision and the final composition are pure functions of evidence and draft."""

from __future__ import annotations

import pytest

from assistant.answer import (
    Prepared,
    answer_type,
    answerability,
    asks_when,
    best_quote,
    compose,
    has_answer_type,
    topical,
)
from assistant.evidence import Evidence
from assistant.settings import REFUSAL_EN, REFUSAL_SV


def ev(
    n: int,
    text: str,
    score: float,
    *,
    language: str = "en",
    lexical: float = 0.5,
    notes: tuple[tuple[str, str], ...] = (),
) -> Evidence:
    return Evidence(
        n=n,
        doc_id="d",
        source=f"/docs/{language}.txt",
        title=None,
        date="2017-03",
        language=language,
        text=text,
        start=0,
        end=len(text),
        score=score,
        dense=score,
        lexical=lexical,
        notes=notes,
    )


AL_BAB = ev(1, "A Russian warplane struck Turkish positions near al-Bab, injuring 11 more.", 0.31)
PHONE = ev(
    1,
    "Två dagar senare talar ledarna i telefon för första gången sedan krisen inleddes.",
    0.37,
    language="sv",
    notes=(("Två dagar senare", "29 juni 2016"),),
)


@pytest.mark.parametrize(
    ("question", "evidence", "language", "refuses"),
    [
        ("What is the capital of France?", [ev(1, "Paris hosted talks.", 0.9)], "en", True),
        ("When were the sanctions lifted?", [], "en", True),
        ("When were the sanctions lifted?", [ev(1, "Sanctions were lifted.", 0.2)], "en", True),
        ("When were the sanctions lifted?", [ev(1, "Sanctions were lifted.", 0.6)], "en", False),
        # other-language evidence passes a lower bar when the question names something checkable
        ("Hur många skadades vid al-Bab?", [AL_BAB], "sv", False),
        # ... but not without such a term
        ("Hur många skadades i flyganfallet?", [AL_BAB], "sv", True),
    ],
)
def test_answerability(question, evidence, language, refuses):
    reason = answerability(question, evidence, 0.34, language=language)
    assert (reason is not None) is refuses


@pytest.mark.parametrize(
    ("question", "when"),
    [
        ("When were the sanctions lifted?", True),
        ("När talade presidenterna i telefon?", True),
        ("What year did the jet crash?", True),
        ("Who apologized?", False),
        ("Hur många skadades?", False),
    ],
)
def test_asks_when(question, when):
    assert asks_when(question) is when


def prepared(question: str, evidence: list[Evidence], language: str = "en") -> Prepared:
    return Prepared(question, question, language, tuple(evidence), None, 0.0, 0.0)


def test_when_answer_without_a_date_falls_back_to_the_dated_quote():
    p = prepared("När talade presidenterna i telefon?", [PHONE], "sv")
    text, citations, removed, mode = compose(p, "Presidenterna talade i telefon [1].")
    assert mode == "quoted" and removed == ("Presidenterna talade i telefon.",)
    assert PHONE.text in text and "Två dagar senare = 29 juni 2016" in text
    assert citations[0].quote == PHONE.text


def test_refusal_reason_refuses_in_the_question_language():
    p = Prepared("Vad?", "Vad?", "sv", (PHONE,), "no evidence", 0.0, 0.0)
    assert compose(p, "anything")[0] == REFUSAL_SV


def test_citations_are_renumbered_in_order_of_use():
    first = ev(1, "The sanctions were lifted in July 2016.", 0.8)
    second = ev(2, "Erdogan apologized in June 2016.", 0.7)
    p = prepared("What happened in 2016?", [first, second])
    text, citations, _, mode = compose(
        p, "Erdogan apologized in June 2016 [2]. The sanctions were lifted in July 2016 [1]."
    )
    assert mode == "generated"
    assert (
        text == "Erdogan apologized in June 2016 [1]. The sanctions were lifted in July 2016 [2]."
    )
    assert [c.quote for c in citations] == [second.text, first.text]


def test_model_refusal_is_kept_when_evidence_is_not_conclusive():
    p = prepared("What did Erdogan eat?", [ev(1, "Erdogan apologized.", 0.5, lexical=0.6)])
    assert compose(p, REFUSAL_EN)[3] == "refused"


def test_quote_fallback_picks_the_sentence_holding_the_question_terms():
    off = ev(1, "Putin called Erdogan.", 0.5, lexical=0.3)
    on = ev(2, "The sanctions were eventually lifted in July 2016.", 0.45, lexical=1.0)
    p = prepared("When were the sanctions lifted?", [off, on])
    text, citations, _, mode = compose(p, "The sanctions were lifted in 1999 [1].")
    assert mode == "quoted" and citations[0].quote == on.text


def test_no_quotable_sentence_means_refusal():
    p = prepared("When were the sanctions lifted?", [ev(1, "Putin called.", 0.5, lexical=0.2)])
    assert compose(p, "The sanctions were lifted in 1999 [1].")[3] == "refused"


@pytest.mark.parametrize(
    ("question", "text", "ok"),
    [
        ("When did they speak?", "The two presidents spoke on the phone.", False),  # "two" ≠ date
        ("When did they speak?", "They spoke on 29 June 2016.", True),
        ("När hävdes sanktionerna?", "I juli hävdes de.", True),
        ("How many were injured?", "Eleven more were injured.", True),
        ("Hur många dödades?", "Flera soldater dödades.", True),
        ("How many were injured?", "Many were injured.", False),
        ("Who apologized?", "Erdogan apologized.", True),
        ("Who apologized to Putin?", "Putin got an apology.", False),  # no name beyond the question
        ("Vem sköt ambassadören?", "En turkisk polis sköt Andrej Karlov.", True),
        ("What did Erdogan offer?", "Nothing checkable.", True),  # no fact type asked
    ],
)
def test_answers_must_hold_the_kind_of_fact_asked_for(question, text, ok):
    assert has_answer_type(text, answer_type(question), question) is ok


def test_when_quote_needs_a_date():
    undated = ev(1, "Erdogan sent a letter to Putin about the pilot.", 0.6, lexical=0.9)
    dated = ev(2, "Erdogan wrote to Putin on 27 June.", 0.5, lexical=0.6)
    assert best_quote([undated, dated], wanted="date") == dated
    assert best_quote([undated], wanted="date") is None


def test_other_document_with_different_detail_is_shown_too():
    english = ev(1, "A warplane struck near al-Bab, killing three men.", 0.6, lexical=0.6)
    swedish = Evidence(
        n=2, doc_id="sv-doc", source="/docs/sv.txt", title=None, date="2017-03", language="sv",
        text="I februari i år dödas flera turkiska soldater.", start=0, end=46, score=0.55,
        dense=0.5, lexical=0.6, notes=(("I februari i år", "februari 2017"),),
    )  # fmt: skip
    p = prepared("How many soldiers were killed near al-Bab?", [english, swedish])
    text, citations, _, mode = compose(p, "Three men were killed near al-Bab [1].")
    assert mode == "generated"
    assert text.startswith("Three men were killed near al-Bab [1].")
    assert 'Another source says: "I februari i år dödas flera' in text
    assert text.endswith('flera turkiska soldater." (I februari i år = februari 2017) [2]')
    assert [c.quote for c in citations] == [english.text, swedish.text]


def test_no_other_source_for_questions_without_a_fact_type():
    a = ev(1, "Putin called Erdogan to apologize.", 0.6, lexical=0.6)
    b = Evidence(
        n=2, doc_id="other", source="/docs/b.txt", title=None, date=None, language="en",
        text="Putin called Erdogan twice.", start=0, end=27, score=0.6, dense=0.6, lexical=0.6,
    )  # fmt: skip
    p = prepared("What did Putin do to Erdogan?", [a, b])
    text, citations, _, _ = compose(p, "Putin called Erdogan to apologize [1].")
    assert "Another source" not in text and len(citations) == 1


def test_same_language_quote_must_share_the_question_words_besides_names():
    about_turkey = ev(1, "Turkey and Russia pledged to boost cooperation after three deaths.", 0.6,
                      lexical=0.7)  # fmt: skip
    p = prepared("How much compensation did Turkey pay Russia?", [about_turkey])
    assert compose(p, "Turkey paid 5 million [1].")[3] == "refused"
    assert topical("How much compensation did Turkey pay?", about_turkey.text) == 0.0
    assert topical("When were the sanctions lifted?", "The sanctions were lifted.") == 1.0
    assert topical("What did Moscow do to punish Ankara?", "Moscow placed sanctions.") == 1.0
