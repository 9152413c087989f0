from pathlib import Path

import pytest

from index.language import detect_language

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("När hävdes sanktionerna?", "sv"),
        ("Hur många skadades i flyganfallet vid al-Bab?", "sv"),
        ("Vad hände i februari 2017?", "sv"),
        ("Vem är Erdogan?", "sv"),
        ("Vilka sanktioner infördes mot Turkiet?", "sv"),
        ("När talade presidenterna i telefon första gången efter det?", "sv"),
        ("When were the sanctions lifted?", "en"),
        ("Who is Erdogan?", "en"),
        ("How many were injured near al-Bab?", "en"),
        ("What happened in February 2017?", "en"),
        ("What did Moscow do to punish Ankara?", "en"),
        ("Wann wurde die Brücke eröffnet?", "de"),
        ("Wie viele Benutzer gibt es?", "de"),
        ("Dokumenten säger:", "sv"),  # the assistant's own lead sentence
        ("When?", "en"),
        ("Sanctions?", "en"),
        ("Erdogan", "en"),  # a lone name: nothing to go on, the default
        ("Turkey?", "en"),
        ("", "en"),
        ("2017", "en"),
        (
            "Die Beziehungen zwischen Russland und der Türkei sind seit dem Abschuss eines "
            "russischen Kampfflugzeugs im November 2015 angespannt, und beide Regierungen "
            "bemühen sich seitdem um eine Annäherung, die allerdings immer wieder durch neue "
            "Zwischenfälle in Syrien gefährdet wird.",
            "de",
        ),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("seed", "language"),
    [("000_de2dd51f3474cc85.txt", "sv"), ("004_fc025db9153bd9ca.txt", "en")],
)
def test_seed_languages(seed, language):
    assert detect_language((SEEDS / seed).read_text(encoding="utf-8")) == language
