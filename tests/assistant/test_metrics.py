"""Evaluation metrics, checked with tables of hand-made cases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.citations import Span
from assistant.metrics import (
    METRICS,
    NOT_RETRIEVED,
    NOT_SHOWN,
    SHOWN,
    Gold,
    Outcome,
    answer_language,
    contains_answer,
    evidence_stage,
    exact_match,
    fact_answers,
    hit_at_k,
    is_gold_source,
    normalize,
    percentile,
    ranked_documents,
    reciprocal_rank,
    score,
    spans_of,
    summarize,
    support_counts,
    token_f1,
)
from assistant.report import format_table, write_report

EN = "004_fc025db9153bd9ca"
SV = "000_de2dd51f3474cc85"
EN_FILE = f"/data/seeds/{EN}.txt"
SV_FILE = f"/data/seeds/{SV}.txt"
LIFTED = "The sanctions were eventually lifted in July 2016, when Erdogan apologized."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Su–24!", "su 24"),  # en dash, article, punctuation
        ("the Su-24", "su 24"),
        ("F‑16 (non-breaking hyphen)", "f 16 non breaking hyphen"),
        ("Ett ryskt plan", "ryskt plan"),  # Swedish article
        ("Den ryska ambassadören", "ryska ambassadören"),  # å ä ö stay
        ("Turkey’s tourism", "turkeys tourism"),
        ("Turkey's tourism", "turkeys tourism"),  # a straight apostrophe too
        ("ﬁnancial ﬂows", "financial flows"),  # ligatures from PDF text become their letters
        ("Erdoğan", "erdogan"),  # other accents fold
        ("  July   2016 [1].", "july 2016"),  # citation markers never count
        ("S:t Petersburg", "s t petersburg"),
        ("“mismatching coordinates.”", "mismatching coordinates"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("prediction", "golds", "em", "f1"),
    [
        ("July 2016", ["July 2016"], 1.0, 1.0),
        ("july 2016 [1].", ["July 2016", "juli 2016"], 1.0, 1.0),
        ("In July 2016 [1].", ["July 2016"], 0.0, 0.8),  # 2 of 3 predicted tokens, both gold
        ("The sanctions were lifted in July 2016.", ["July 2016"], 0.0, 0.5),
        ("August 2016", ["July 2016"], 0.0, 0.5),
        ("August", ["July 2016"], 0.0, 0.0),
        ("", ["July 2016"], 0.0, 0.0),
        ("eleven", ["11", "eleven"], 1.0, 1.0),  # the best gold answer counts
        # An empty prediction is never right, even when a gold answer normalises to nothing.
        ("", ["..."], 0.0, 0.0),
        ("", ["the"], 0.0, 0.0),
        ("The.", ["a"], 0.0, 0.0),  # both sides normalise to nothing
        ("", [], 0.0, 0.0),
        ("July 2016", ["..."], 0.0, 0.0),
        ("July 2016", [], 0.0, 0.0),
        ("July", ["July 2016"], 0.0, pytest.approx(2 / 3)),  # precision 1, recall 1/2
        ("July July 2016", ["July 2016"], 0.0, 0.8),  # a repeated token counts once
        ("2016 July", ["July 2016"], 0.0, 1.0),  # F1 ignores order, exact match does not
    ],
)
def test_exact_match_and_f1(prediction: str, golds: list[str], em: float, f1: float) -> None:
    assert exact_match(prediction, golds) == em
    assert token_f1(prediction, golds) == pytest.approx(f1)


@pytest.mark.parametrize(
    ("prediction", "golds", "expected"),
    [
        ("11 more were injured [1].", ["11"], True),
        ("110 were injured.", ["11"], False),  # whole words only
        ("Three were killed [11].", ["11"], False),  # a citation marker is not an answer
        ("It was a Su–24 [1].", ["Su-24"], True),  # unicode dash
        ("De talade i telefon den 29 juni 2016 [1].", ["29 June 2016", "29 juni 2016"], True),
        ("They spoke on 29 June [1].", ["29 June 2016"], False),  # the year is part of it
        ("Anything", [], False),
        ("Anything", ["..."], False),  # a gold answer that normalises to nothing never matches
    ],
)
def test_contains_answer(prediction: str, golds: list[str], expected: bool) -> None:
    assert contains_answer(prediction, golds) is expected


@pytest.mark.parametrize(
    ("retrieved", "sources", "hit1", "hit3", "rr"),
    [
        ([f"{EN}.txt", f"{EN}.txt", f"{SV}.txt"], [EN], 1.0, 1.0, 1.0),
        # chunk ranks collapse to distinct documents: the Swedish one is rank 2, not 3
        ([f"{EN}.txt", f"{EN}.txt", f"{SV}.txt"], [SV], 0.0, 1.0, 0.5),
        ([f"{SV}.txt"], [EN], 0.0, 0.0, 0.0),
        ([], [EN], 0.0, 0.0, 0.0),
        (["a.txt", "b.txt", "c.txt", f"{EN}.txt"], [EN], 0.0, 0.0, 0.25),
        ([EN_FILE], [EN, SV], 1.0, 1.0, 1.0),  # a path works like its file name
    ],
)
def test_retrieval_metrics(
    retrieved: list[str], sources: list[str], hit1: float, hit3: float, rr: float
) -> None:
    assert hit_at_k(retrieved, sources, 1) == hit1
    assert hit_at_k(retrieved, sources, 3) == hit3
    assert reciprocal_rank(retrieved, sources) == pytest.approx(rr)


def test_ranked_documents_and_gold_sources() -> None:
    assert ranked_documents([EN_FILE, "", f"{EN}.txt", SV_FILE]) == [f"{EN}.txt", f"{SV}.txt"]
    assert is_gold_source(EN_FILE, ["fc025DB9"])  # substring, case-insensitive
    assert not is_gold_source("/seeds/004_fc025db9153bd9ca/other.txt", [EN])  # the name only
    assert not is_gold_source(EN_FILE, [""])


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([2.0], 95, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 95, 3.85),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
    ],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == (pytest.approx(expected) if expected is not None else None)


LIFTED_SPAN = Span(1, LIFTED, (), "en")
LETTER_SPAN = Span(
    2, "Och i ett brev till Putin den 27 juni förra året framför Erdogan sina kondoleanser.",
    ("27 juni 2016",), "sv",
)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("The sanctions were lifted in July 2016 [1].", [LIFTED_SPAN], (1, 1)),
        # the second sentence's year is not in its quote
        ("They were lifted in July 2016 [1]. They began in 2015 [1].", [LIFTED_SPAN], (1, 2)),
        ("The sanctions were lifted in July 2016.", [LIFTED_SPAN], (0, 1)),  # no citation
        ("The sanctions were lifted in July 2016 [3].", [LIFTED_SPAN], (0, 1)),  # unresolved
        ("Erdogan wrote to Putin on 27 June 2016 [2].", [LIFTED_SPAN, LETTER_SPAN], (1, 1)),
        ("Erdogan wrote to Putin on 27 June 2016 [1].", [LIFTED_SPAN, LETTER_SPAN], (0, 1)),
        ("", [LIFTED_SPAN], (0, 0)),
        (
            "They were lifted in July 2016 [1]. Erdogan wrote on 27 June 2016 [2].",
            [LIFTED_SPAN, LETTER_SPAN],
            (2, 2),
        ),
    ],
)
def test_support_counts(text: str, spans: list[Span], expected: tuple[int, int]) -> None:
    assert support_counts(text, spans) == expected


@dataclass
class FakeCitation:
    n: int
    quote: str
    date: str | None
    language: str
    start: int
    context: str
    context_start: int


def test_spans_resolve_relative_dates_like_the_engine() -> None:
    chunk = (
        "I ett brev den 27 juni förra året framför Erdogan kondoleanser. Två dagar senare talar de."
    )
    quote = "Två dagar senare talar de."
    cited = FakeCitation(1, quote, "2017-03", "sv", 100 + chunk.index(quote), chunk, 100)
    (span,) = spans_of([cited])
    assert span.notes == ("29 juni 2016",)
    assert support_counts("They spoke on 29 June 2016 [1].", [span]) == (1, 1)
    assert span.language == "sv" and span.n == 1 and span.text == quote
    undated = FakeCitation(1, quote, None, "sv", 0, "", 0)
    assert spans_of([undated])[0].notes == ()
    # Only the text before the quote anchors it, not a date that comes after it.
    later = chunk + " Den 3 maj 2015 kom ett svar."
    (span,) = spans_of([FakeCitation(1, quote, "2017-03", "sv", 100 + chunk.index(quote), later,
                                     100)])  # fmt: skip
    assert span.notes == ("29 juni 2016",)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The sanctions were lifted in July 2016 [1].", "en"),
        ("Sanktionerna hävdes i juli 2016 [1].", "sv"),
        (
            'Dokumenten säger: "The sanctions were lifted in July 2016, when he apologized." [1]',
            "sv",
        ),
        ("Det kan jag inte svara på utifrån dokumenten.", "sv"),
        # an answer that is only a quote is judged by the quote
        ('"Sanktionerna hävdes i juli 2016, när Erdogan bad om ursäkt." [1]', "sv"),
        ('"Sanktionerna hävdes i juli 2016, när Erdogan bad om ursäkt." [1].', "sv"),
        ("I cannot answer that from the documents.", "en"),
    ],
)
def test_answer_language_ignores_quotes(text: str, language: str) -> None:
    assert answer_language(text) == language


GOLD = Gold(answers=("July 2016", "juli 2016"), sources=(EN,), answerable=True, lang="en")
UNANSWERABLE = Gold(answers=(), sources=(), answerable=False, lang="en")
PERFECT = Outcome(
    text="The sanctions were lifted in July 2016 [1].",
    refused=False,
    cited_sources=(EN_FILE,),
    spans=(LIFTED_SPAN,),
    retrieved=(f"{EN}.txt", f"{SV}.txt"),
    latency_s=2.0,
    first_token_s=0.5,
)
# Wrong answer, wrong language, citing the other article with a quote that lacks its facts,
# after retrieval that never found the right one: it must score 0 on every quality metric.
WORST = Outcome(
    text="Sanktionerna infördes i december 1999 [1].",
    refused=False,
    cited_sources=(SV_FILE,),
    spans=(Span(1, "Moskva straffar Ankara genom ekonomiska sanktioner.", (), "sv"),),
    retrieved=(f"{SV}.txt",),
    latency_s=4.0,
    first_token_s=None,
)
REFUSAL = Outcome(text="I cannot answer that from the documents.", refused=True, latency_s=1.0)


def test_score_of_a_perfect_answer() -> None:
    s = score(GOLD, PERFECT)
    assert (s["correct"], s["hit@1"], s["hit@3"], s["rr"], s["cited_gold"]) == (1, 1.0, 1.0, 1.0, 1)
    assert (s["citations"], s["gold_citations"], s["sentences"], s["supported"]) == (1, 1, 1, 1)
    assert (s["language_match"], s["refusal_correct"], s["refused"]) == (1, None, False)
    assert s["f1"] == pytest.approx(0.5) and s["exact_match"] == 0.0


def test_the_worst_answer_scores_zero_on_everything() -> None:
    s = score(GOLD, WORST)
    for key in ("correct", "exact_match", "f1", "hit@1", "hit@3", "rr", "cited_gold",
                "gold_citations", "supported", "language_match"):  # fmt: skip
        assert s[key] == 0, key
    answered = score(
        UNANSWERABLE, Outcome(text="Paris är Frankrikes huvudstad [1].", refused=False)
    )
    assert answered["refusal_correct"] == 0
    # a Swedish yes/no question answered with the wrong yes, in English
    yes_no = score(
        Gold(("nej",), (SV,), True, "sv"), Outcome(text="Yes, it can [1].", refused=False)
    )
    assert yes_no["yes_no_agreement"] == 0
    summary = summarize([s, answered, yes_no])
    for m in METRICS:
        if not m.seconds:
            assert summary[m.key] == 0.0, m.key


def test_refusals_count_for_unanswerable_and_against_answerable() -> None:
    right = score(UNANSWERABLE, REFUSAL)
    assert right["refusal_correct"] == 1 and right["correct"] is None and right["hit@1"] is None
    wrong = score(GOLD, REFUSAL)
    assert (wrong["correct"], wrong["exact_match"], wrong["f1"]) == (0, 0.0, 0.0)
    # citations attached to a refusal are ignored: a refusal has nothing to support
    cited = score(GOLD, Outcome(text=REFUSAL.text, refused=True, cited_sources=(EN_FILE,)))
    assert (cited["citations"], cited["cited_gold"], cited["sentences"]) == (0, 0, 0)
    summary = summarize([right, wrong, score(GOLD, PERFECT)])
    assert summary["refusal_accuracy"] == 1.0
    assert summary["false_refusal_rate"] == 0.5
    assert summary["accuracy"] == 0.5


def test_summary_aggregates() -> None:
    scores = [score(GOLD, PERFECT), score(GOLD, WORST), score(UNANSWERABLE, REFUSAL)]
    summary = summarize(scores)
    assert summary["accuracy"] == 0.5
    assert summary["citation_precision"] == 0.5  # one of two citations points at a gold source
    assert summary["citation_recall"] == 0.5
    assert summary["support"] == 0.5  # one of two answer sentences; the refusal has none
    assert summary["language_match"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["latency_p50_s"] == 2.0
    # the unstreamed answer counts its whole latency as time to first text
    assert summary["first_token_p50_s"] == 1.0
    assert summary["first_token_p95_s"] == pytest.approx(3.7)
    assert set(summary) == {m.key for m in METRICS}


def test_summary_without_unanswerable_questions_has_no_refusal_accuracy() -> None:
    summary = summarize([score(GOLD, PERFECT)])
    assert summary["refusal_accuracy"] is None
    assert summary["accuracy"] == 1.0
    assert summarize([])["accuracy"] is None


def test_support_is_none_when_no_answer_had_a_sentence() -> None:
    refusals = [score(UNANSWERABLE, REFUSAL), score(GOLD, REFUSAL)]
    assert [(s["sentences"], s["supported"]) for s in refusals] == [(0, 0), (0, 0)]
    assert summarize(refusals)["support"] is None  # not 0.0: nothing was judged
    assert summarize(refusals + [score(GOLD, WORST)])["support"] == 0.0
    assert summarize(refusals + [score(GOLD, PERFECT)])["support"] == 1.0


def test_citation_precision_is_zero_when_nothing_was_cited() -> None:
    summary = summarize([score(GOLD, REFUSAL)])
    assert summary["citation_precision"] == 0.0 and summary["citation_recall"] == 0.0
    assert summarize([score(UNANSWERABLE, REFUSAL)])["citation_precision"] is None


def test_report_shows_a_dash_for_metrics_that_do_not_apply(tmp_path: Path) -> None:
    summary = {"ours": summarize([score(UNANSWERABLE, REFUSAL)]), "n": 1}
    header, _, row = format_table(summary, markdown=True).splitlines()
    cells = dict(zip(header.split(" | "), row.split(" | "), strict=True))
    assert cells["support"] == "–" and cells["acc"] == "–" and cells["refuse"] == "1.00"
    write_report(summary, tmp_path)
    assert "| ours |" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "summary.json").read_text())["ours"]["support"] is None


def test_per_question_scores_in_detail() -> None:
    exact = Outcome(text=PERFECT.text, refused=False, cited_sources=(EN_FILE, SV_FILE),
                    spans=(LIFTED_SPAN,), retrieved=("a.txt", "b.txt", f"{EN}.txt"),
                    latency_s=2.34567, first_token_s=0.12345, short="July 2016")  # fmt: skip
    s = score(GOLD, exact)
    assert (s["exact_match"], s["f1"]) == (1.0, 1.0)  # the short answer is what is compared
    assert (s["hit@1"], s["hit@3"], s["rr"]) == (0.0, 1.0, 0.3333)
    assert (s["citations"], s["gold_citations"], s["cited_gold"]) == (2, 1, 1)
    assert (s["latency_s"], s["first_token_s"]) == (2.346, 0.123)
    assert s["answer_language"] == "en" and s["language_match"] == 1
    partial = score(GOLD, Outcome(text="In July [1].", refused=False, short="July"))
    assert partial["f1"] == 0.6667


def test_a_refusal_scores_nothing_whatever_it_says() -> None:
    hedged = Outcome(text="I cannot say if it was July 2016.", refused=True, short="July 2016",
                     cited_sources=(EN_FILE,), spans=(LIFTED_SPAN,))  # fmt: skip
    s = score(GOLD, hedged)
    assert (s["correct"], s["exact_match"], s["f1"]) == (0, 0.0, 0.0)
    assert (s["citations"], s["gold_citations"], s["cited_gold"], s["sentences"]) == (0, 0, 0, 0)


def test_unanswerable_questions_have_no_answer_metrics() -> None:
    answered = Outcome(text="Paris is the capital [1].", refused=False, short="Paris",
                       cited_sources=(EN_FILE,), retrieved=(f"{EN}.txt",))  # fmt: skip
    s = score(Gold(answers=(), sources=(), answerable=False, lang="en"), answered)
    for key in ("correct", "exact_match", "f1", "hit@1", "hit@3", "rr", "cited_gold"):
        assert s[key] is None, key
    assert (s["citations"], s["gold_citations"], s["refusal_correct"]) == (0, 0, 0)


def test_summary_percentiles_and_rounding() -> None:
    timed = [
        score(GOLD, Outcome(text=PERFECT.text, refused=False, latency_s=t, first_token_s=t / 2))
        for t in (1.0, 2.0, 3.0, 4.0, 5.0)
    ]
    summary = summarize([*timed[:2], score(GOLD, REFUSAL), *timed[2:]])
    assert summary["false_refusal_rate"] == 0.1667  # 1 of 6, rounded to four places
    assert (summary["latency_p50_s"], summary["latency_p95_s"]) == (2.5, 4.75)
    assert (summary["first_token_p50_s"], summary["first_token_p95_s"]) == (1.25, 2.375)


@pytest.mark.parametrize(
    ("answers", "text", "agrees"),
    [
        (
            ("no", "nej", "not possible"),
            'Answer: No. The documents say: "It is not possible." [1]',
            1,
        ),
        # the gold phrase is in the quote, but the answer's own word is the wrong one
        (("no", "nej", "not possible"), 'Answer: Yes. The documents say: "It is not possible."', 0),
        # a yes or a no inside the quote is the document's, not the answer's
        (("ja", "yes"), 'Dokumenten säger: "Nej, inte alltid." Svar: Ja [1].', 1),
        (("nein",), "Antwort: Nein. Das ist so [1].", 1),
        (("no",), "The documents say nothing about it [1].", 0),
    ],
)
def test_a_yes_no_answer_must_say_the_gold_s_yes_or_no_outside_its_quotes(answers, text, agrees):
    gold = Gold(answers, (EN,), True, "en")
    assert score(gold, Outcome(text=text, refused=False))["yes_no_agreement"] == agrees


def test_yes_no_agreement_skips_other_questions_and_refusals():
    assert score(GOLD, PERFECT)["yes_no_agreement"] is None  # gold "July 2016"
    no = Gold(("no",), (EN,), True, "en")
    assert score(no, REFUSAL)["yes_no_agreement"] is None  # counted as a false refusal instead
    assert summarize([score(GOLD, PERFECT)])["yes_no_agreement"] is None


# --- where an answer is lost before the model ---------------------------------------------------

CHUNK = "Tail checks the file again every second. With -s N it sleeps N seconds (default 1.0)."


@pytest.mark.parametrize(
    ("golds", "chunks", "shown", "stage"),
    [
        (["1.0", "one second"], [CHUNK], ["With -s N it sleeps N seconds (default 1.0)."], SHOWN),
        (["1.0"], [CHUNK], ["Tail checks the file again every second."], NOT_SHOWN),
        (["2.5"], [CHUNK], ["Tail checks the file again every second."], NOT_RETRIEVED),
        (["10"], [CHUNK], [], NOT_RETRIEVED),  # whole words: "1.0" holds no "10"
        # a bare yes or no is said by the answer, not found in a text: nothing to look for …
        (["yes", "ja"], [CHUNK], [], None),
        # … but the words that state it are
        (["nein", "not sleep"], ["It does not sleep."], ["It does not sleep."], SHOWN),
    ],
)
def test_evidence_stage_says_where_the_gold_stands(golds, chunks, shown, stage):
    assert evidence_stage(golds, chunks, shown) == stage


def test_fact_answers_leave_out_yes_and_no_of_every_language():
    assert fact_answers(["Yes", "ja", "Nej", "nein", "no", "too low"]) == ("too low",)
