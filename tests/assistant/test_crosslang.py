"""Cross-language anchors: names, numbers, months and loanwords, tested with hand-made cases."""

from __future__ import annotations

import pytest

from assistant.crosslang import anchors, cognates, match, rare_names

SU24 = (
    "Relationerna mellan Ryssland och Turkiet frös till is den 24 november 2015, då turkiska "
    "F-16-plan sköt ned ett ryskt stridsflygplan av typen Su-24, i gränsområdet vid Syrien."
)
KARLOV = (
    "I december förra året skjuter en turkisk polis ihjäl den ryska Turkietambassadören Andrej "
    "Karlov, men de två länderna lyckas undvika ens en liten spricka efter händelsen."
)
LIFTED = "The sanctions were eventually lifted in July 2016, when Erdogan apologized."


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("sanctions", "sanktionerna", True),  # c ~ k
        ("compensation", "kompensation", True),
        ("coordinates", "koordinater", True),
        ("ambassador", "Turkietambassadören", True),  # inside a Swedish compound, ö ~ o
        ("minister", "försvarsminister", True),
        ("police", "polis", True),
        ("type", "typen", True),
        ("imports", "import", True),
        ("pilots", "piloterna", True),
        ("planes", "plan", True),
        ("shot", "sköt", False),
        ("tourists", "turister", False),  # too far apart to call it the same word
        ("phone", "telefon", False),
        ("land", "landets", True),
        ("air", "airspace", False),  # short words must match exactly
    ],
)
def test_cognates(a, b, same):
    assert cognates(a, b) is same


def test_anchors_split_names_numbers_months_and_topic():
    a = anchors("What type of Russian warplane did Turkey shoot down in November 2015?")
    assert a.names == {"russian", "turkey"}
    assert a.numbers == {"2015"} and a.months == {11}
    assert a.topic == {"type", "warplane", "shoot", "down"}
    # Swedish nationality words count as names; question frame words are no topic
    b = anchors("Hur många ryska soldater dödades?")
    assert "ryska" in b.names and "många" not in b.topic


@pytest.mark.parametrize(
    ("question", "text", "context", "specific"),
    [
        ("What type of Russian warplane did Turkey shoot down in November 2015?", SU24, "", True),
        ("Which Russian ambassador to Turkey was shot dead?", KARLOV, "", True),
        # a number of the question that the sentence lacks
        ("What did Turkey shoot down in November 2016?", SU24, "", False),
        # only the countries in common: not about compensation or tourists
        ("How much compensation did Turkey pay Russia?", SU24, "", False),
        ("How many Russian tourists visited Turkey in 2016?", KARLOV, "", False),
        # the month and year asked about are specific enough, a year alone is not
        ("How many Turkish soldiers were killed in February 2017?",
         "I februari i år dödas flera turkiska soldater. februari 2017", "", True),
        ("How many Turkish soldiers were killed in 2016?",
         "Flera turkiska soldater dödas. december 2016", "", False),
        # three names together are specific enough
        ("When did Russia and Turkey begin joint strikes in Syria?", SU24, "", True),
        # names may come from the passage around the sentence, topic words may not
        ("När hävdes sanktionerna mot Turkiet?", LIFTED, "", False),
        ("När hävdes sanktionerna mot Turkiet?", LIFTED, "Moscow placed sanctions on Ankara.",
         True),
        ("När hävdes sanktionerna mot Turkiet?", "It happened in July 2016.",
         "The sanctions on Ankara.", False),
    ],
)  # fmt: skip
def test_match_is_specific_only_when_about_the_question(question, text, context, specific):
    assert match(question, text, context).specific is specific


def test_match_score_weighs_names_and_numbers_double():
    m = match("Which Russian ambassador to Turkey was shot dead?", KARLOV)
    # names russian + turkey (2 + 2) and "ambassador" (1) of 2 + 2 + 3 topic words
    assert m.score == pytest.approx(5 / 7)
    assert match("Who won the Nobel Peace Prize?", KARLOV).score == 0.0


def test_a_rare_name_makes_a_sentence_specific_a_common_one_does_not():
    question = "Hur många skadades vid al-Bab i Turkiet?"
    al_bab = "A warplane struck Turkish positions near al-Bab in Turkey, injuring 11 more."
    others = [f"Turkey and Russia met for talks, round {i}." for i in range(11)]
    matches = [match(question, t) for t in [al_bab, *others]]
    assert rare_names(matches) == {"al-bab"}
    rare = rare_names(matches)
    assert matches[0].specific_given(rare, gives_fact=True)  # a number, as asked
    assert not matches[0].specific_given(rare)  # no fact of the asked kind: a name is not enough
    assert not matches[0].specific  # no topic word matches and only two names
    assert not matches[1].specific_given(rare, gives_fact=True)  # al-Bab missing
    assert rare_names(matches[:9]) == frozenset()  # too few sentences to judge rarity
    # a name in two of twelve sentences is not rare
    assert rare_names([matches[0], match(question, al_bab), *matches[2:]]) == frozenset()
