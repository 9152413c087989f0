from pathlib import Path

import pytest

from index.clean import clean_text, promo_score
from index.dates import parse_date_header

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
EN_SEED = SEEDS / "004_fc025db9153bd9ca.txt"
SV_SEED = SEEDS / "000_de2dd51f3474cc85.txt"


def _raw(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_english_seed_loses_promotions_and_keeps_the_article():
    raw = _raw(EN_SEED)
    cleaned = clean_text(raw)
    for gone in [
        "Support The Moscow Times!",
        "Sign up for our free weekly newsletter",
        "Privacy Policy",
        "Dear readers",
        "$2",
        "Remind me later",
        "Monthly",
        "Read more",
    ]:
        assert gone not in cleaned, gone
    assert cleaned.startswith("Ankara and Moscow Pledge Closer Ties After Russian Friendly Fire")
    last = (
        "The sanctions were eventually lifted in July 2016, when Erdogan apologized for the "
        "incident and offered to pay compensation."
    )
    assert cleaned.endswith(last)
    assert "injuring 11 more" in cleaned
    assert cleaned in raw  # the article is one verbatim span of the file


def test_swedish_seed_keeps_every_line():
    raw = _raw(SV_SEED)
    _, body = parse_date_header(raw)
    cleaned = clean_text(body)
    assert _lines(cleaned) == _lines(body)
    assert cleaned.endswith("presidenterna kommer överens om att utöka samarbetet.")
    assert cleaned in raw


ARTICLE = [
    "The city council approved the new budget on Tuesday after a long debate.",
    "Spending on schools will rise by 4.5 percent, the council said in a statement.",
    "Critics argued that the plan leaves too little money for road repairs next year.",
    "The mayor said the budget was a fair compromise between the parties.",
    "A final vote on the road repair fund is expected in the autumn.",
]


def test_promo_block_in_the_middle_is_dropped_alone_and_tail_is_cut():
    text = "\n\n".join(
        [
            "Subscribe to our newsletter!",
            "Budget Approved After Long Debate",
            *ARTICLE[:3],
            "Read more: Council Votes on Parking Fees",
            *ARTICLE[3:],
            "Enjoyed this article? Sign up for our daily newsletter and never miss a story.",
            "Dear reader, independent journalism needs your support. Donate today.",
            "We rely on readers like you to keep our reporting free for everyone to read.",
            "Donate\nMonthly\nOnce",
            "Privacy policy",
        ]
    )
    cleaned = clean_text(text)
    assert _lines(cleaned) == ["Budget Approved After Long Debate", *ARTICLE]
    assert all(line in text for line in _lines(cleaned))


def test_promo_line_before_the_last_paragraph_keeps_that_paragraph():
    appeal = "We rely on readers like you. Please support our journalism with a donation today."
    text = "\n\n".join(
        [*ARTICLE[:4], "Read more: Council Votes on Parking Fees", ARTICLE[4], "Dear reader,"]
        + [appeal] * 5
    )
    assert _lines(clean_text(text)) == ARTICLE


def test_consecutive_promo_lines_inside_the_article():
    text = "\n\n".join(
        [*ARTICLE[:2], "Read more: Parking Fees", "Read also: Road Repairs", *ARTICLE[2:]]
    )
    assert _lines(clean_text(text)) == ARTICLE


def test_swedish_promotions_are_recognised():
    text = "\n\n".join(
        [
            *ARTICLE,
            "Prenumerera på vårt nyhetsbrev",
            "Stöd oss med en gåva, kära läsare. Din hjälp gör skillnad för oberoende journalistik.",
            "Läs mer",
        ]
    )
    assert _lines(clean_text(text)) == ARTICLE


def test_text_without_boilerplate_is_unchanged():
    text = "Budget Approved\n\n" + "\n\n".join(ARTICLE) + "\n"
    assert clean_text(text) == text.strip()


def test_trailing_menu_words_are_dropped_when_a_cue_says_it_is_a_menu():
    text = "\n\n".join(ARTICLE) + "\n\nDonate\nOnce\nMonthly\nAnnual\nContinue"
    assert _lines(clean_text(text)) == ARTICLE


def test_short_lines_ending_a_manual_are_content():
    rows = ["Appletalk | Connecting Macs", "SQL server | Supplied (not set up)"]
    text = "\n\n".join(ARTICLE) + "\n\n" + "\n".join(rows)
    assert _lines(clean_text(text)) == [*ARTICLE, *rows]


def test_menu_words_inside_a_manual_are_content():
    manual = [
        "Upon starting the system, you are presented with the character based login screen.",
        "At the login prompt, you type your username and press the Enter key.",
        "Type root at the character based login prompt.",
        "The copyright of each page stays with its authors, as the license says.",
        "There are six switchable character consoles available on the host.",
    ]
    text = "Console basics\n\n" + "\n\n".join(manual) + "\n\nLog in\nSign in\n© 2024"
    assert _lines(clean_text(text)) == ["Console basics", *manual]


def test_a_hard_wrapped_sentence_is_kept_or_dropped_whole():
    wrapped = (
        "       Before you can work you open a session by giving your user name and\n"
        "       password. The program login(1) then starts a shell for you, or a\n"
        "       graphical session with menus and icons.\n"
    )
    text = "INTRO(1)\n\nDESCRIPTION\n" + wrapped + "\n" + "\n\n".join(ARTICLE)
    assert wrapped.strip() in clean_text(text)


def test_single_trailing_byline_is_kept():
    text = "\n\n".join(ARTICLE) + "\n\nAnna Svensson"
    assert _lines(clean_text(text)) == [*ARTICLE, "Anna Svensson"]


def test_news_sentence_mentioning_a_donation_is_not_promotion():
    sentence = (
        "The oligarch made a donation of two million dollars to the campaign of the ruling party "
        "last spring."
    )
    text = "\n\n".join([*ARTICLE[:2], sentence, *ARTICLE[2:]])
    assert _lines(clean_text(text)) == [*ARTICLE[:2], sentence, *ARTICLE[2:]]


def test_lines_inside_a_block_are_dropped_as_whole_lines():
    text = ARTICLE[0] + "\n" + ARTICLE[1] + "\n\nSign up for our newsletter\nShare this"
    assert clean_text(text) == ARTICLE[0] + "\n" + ARTICLE[1]


@pytest.mark.parametrize(
    ("line", "promotional"),
    [
        ("Support The Moscow Times!", True),
        ("Sign up for our free weekly newsletter", True),
        ("Subscribers agree to the Privacy Policy", True),
        ("Dear readers,", True),
        ("Remind me later.", True),
        ("Not ready to support today?", True),
        ("Read more", True),
        ("Läs mer", True),
        ("Prenumerera på vårt nyhetsbrev", True),
        ("Ankara and Moscow Pledge Closer Ties After Russian Friendly Fire Kills 3", False),
        ("Defense Ministry", False),
        ("Ankara gett stöd till rebeller som vill störta Bashar al-Assad.", False),
        (ARTICLE[0], False),
    ],
)
def test_promo_score(line, promotional):
    assert (promo_score(line) >= 2) is promotional


def test_german_promotions_come_from_the_german_language_file():
    text = "\n\n".join(
        [*ARTICLE, "Abonnieren Sie unseren Newsletter", "Unterstützen Sie uns mit einer Spende."]
    )
    assert _lines(clean_text(text)) == ARTICLE


def test_empty_text():
    assert clean_text("") == ""
    assert clean_text("\n \n") == ""
