import pytest

from index.dates import (
    month_number,
    normalize_date,
    parse_date_header,
    resolve_relative_dates,
    split_front_matter,
)


@pytest.mark.parametrize(
    ("text", "date", "rest"),
    [
        (" date 2017-03 Relationerna mellan", "2017-03", "Relationerna mellan"),
        ("date: 2017-03-02\n\nBody text.", "2017-03-02", "Body text."),
        ("Date: 2017-03-02\nBody text.", "2017-03-02", "Body text."),
        ("Date: 2 March 2017\n\nBody.", "2017-03-02", "Body."),
        ("datum: 2 mars 2017\nText.", "2017-03-02", "Text."),
        ("date: 2017-03-02T10:00:00Z\nBody.", "2017-03-02", "Body."),
        ("---\ntitle: Hej\ndate: 2017-03-02\n---\nBody", "2017-03-02", "Body"),
        ("---\ntitle: Hej\n---\nBody", None, "Body"),
        ("No header here.\ndate 2017-03", None, "No header here.\ndate 2017-03"),
        (
            "Date night was fun in March 2017.\nMore.",
            None,
            "Date night was fun in March 2017.\nMore.",
        ),
        ("Dates are sweet", None, "Dates are sweet"),
        ("date 2017-13 bad month", None, "date 2017-13 bad month"),
    ],
)
def test_parse_date_header(text, date, rest):
    assert parse_date_header(text) == (date, rest)


def test_front_matter_fields():
    fields, body = split_front_matter('---\ntitle: "A title"\nDate: 2017-03\n---\n# Heading\n')
    assert fields == {"title": "A title", "date": "2017-03"}
    assert body == "# Heading\n"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2017-03", "2017-03"),
        ("2017-03-02T10:00:00+01:00", "2017-03-02"),
        ("2017/3/2", "2017-03-02"),
        ("D:20170302120000+01'00'", "2017-03-02"),
        ("D:2017", "2017"),
        ("March 2, 2017", "2017-03-02"),
        ("2nd March 2017", "2017-03-02"),
        ("2 mars 2017", "2017-03-02"),
        ("Sept 2017", "2017-09"),
        ("juli 2016", "2016-07"),
        ("2017", "2017"),
        ("someday", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_date(value, iso):
    assert normalize_date(value) == iso


@pytest.mark.parametrize(
    ("word", "number"),
    [
        ("juli", 7), ("July", 7), ("JULY", 7), ("maj", 5), ("May", 5), ("mars", 3), ("March", 3),
        ("oktober", 10), ("October", 10), ("okt", 10), ("Sept.", 9), ("februari", 2),
        ("augusti", 8), ("foo", None), ("", None),
    ],
)  # fmt: skip
def test_month_number(word, number):
    assert month_number(word) == number


ANCHOR_SV = "Och i ett brev till Putin den 27 juni förra året framför Erdogan sina kondoleanser."


@pytest.mark.parametrize(
    ("sentence", "doc_date", "context", "expected"),
    [
        ("förra året", "2017-03", "", [("förra året", "2016")]),
        ("i december förra året", "2017-03", "", [("i december förra året", "december 2016")]),
        ("i år", "2017-03", "", [("i år", "2017")]),
        ("i februari i år", "2017-03", "", [("i februari i år", "februari 2017")]),
        ("den 27 juni förra året", "2017-03", "", [("den 27 juni förra året", "27 juni 2016")]),
        ("two days later", "2017-03", "on 27 June last year", [("two days later", "29 June 2016")]),
        ("Det hände i fjol.", "2017-03", "", [("i fjol", "2016")]),
        (
            "I december förra året skjuter en polis ihjäl ambassadören.",
            "2017-03",
            "",
            [("I december förra året", "december 2016")],
        ),
        ("Vad har hänt i år?", "2017-03", "", [("i år", "2017")]),
        (
            "I februari i år dödas flera soldater.",
            "2017-03",
            "",
            [("I februari i år", "februari 2017")],
        ),
        (ANCHOR_SV, "2017-03", "", [("den 27 juni förra året", "27 juni 2016")]),
        ("It happened last year.", "2017-03", "", [("last year", "2016")]),
        ("Sales rose this year.", "2017-03-02", "", [("this year", "2017")]),
        ("in July last year", "2017-03", "", [("in July last year", "July 2016")]),
        ("on June 27 last year", "2017-03", "", [("on June 27 last year", "27 June 2016")]),
        ("They met last December.", "2017-03", "", [("last December", "December 2016")]),
        ("They met last February.", "2017-03", "", []),  # Feb 2017 or 2016: ambiguous
        ("förra året", None, "", []),  # no document date, nothing to count from
        (
            "Två dagar senare talar ledarna i telefon.",
            "2017-03",
            ANCHOR_SV,
            [("Två dagar senare", "29 juni 2016")],
        ),
        (
            "Two days later the leaders spoke.",
            "2017-03",
            "On 27 June last year Erdogan wrote a letter.",
            [("Two days later", "29 June 2016")],
        ),
        (
            "Two days later they spoke.",
            None,
            "The letter came on 30 June 2016.",
            [("Two days later", "2 July 2016")],
        ),
        (
            "The next day they met.",
            None,
            "Talks ended on 31 December 2016.",
            [("The next day", "1 January 2017")],
        ),
        (
            "Två veckor senare kom svaret.",
            None,
            "Den 1 mars 2017 skrev han.",
            [("Två veckor senare", "15 mars 2017")],
        ),
        ("Två dagar senare talar ledarna.", "2017-03", "", []),  # no explicit date to count from
        (
            "Den 3 maj 2016 skrev han; tre dagar senare svarade hon.",
            None,
            "",
            [("tre dagar senare", "6 maj 2016")],
        ),
        ("Nothing relative here in July 2016.", "2017-03", "", []),
    ],
)
def test_resolve_relative_dates(sentence, doc_date, context, expected):
    assert resolve_relative_dates(sentence, doc_date, context) == expected


def test_later_sentence_uses_latest_anchor():
    context = "On 1 June 2016 they met. On 10 June 2016 they met again."
    assert resolve_relative_dates("Two days later it ended.", None, context) == [
        ("Two days later", "12 June 2016")
    ]


# -- date notes of whole documents, in linear time ----------------------------------------------

STORY = (
    "On 3 March the talks began in the capital. Two days later they ended without a deal.\n\n"
    "The envoys met again on 27 June\n\n2016 was a hard year. A week later the treaty was "
    "signed. Tre dagar senare kom svaret.\n\n"
)


def _doc(tmp_path, text: str):
    from index.loaders import load_document

    path = tmp_path / "story.txt"
    path.write_text(f"date: 2017-03\n\n{text}", encoding="utf-8")
    return load_document(path)


def _notes_with_whole_prefix(doc, chunk) -> str:
    """Date notes as they were computed before: the whole document prefix per sentence."""
    from index.chunking import split_sentences

    lines = []
    for rel_start, rel_end in split_sentences(chunk.text):
        start = chunk.start + rel_start
        sentence = chunk.text[rel_start:rel_end]
        for phrase, resolved in resolve_relative_dates(sentence, doc.date, doc.text[:start]):
            lines.append(f"{start}\t{phrase}\t{resolved}")
    return "\n".join(lines)


def test_date_notes_equal_those_from_the_whole_prefix(tmp_path):
    from index.chunking import chunk_document
    from index.nodes import nodes_for_document

    doc = _doc(tmp_path, STORY * 6)
    chunks = chunk_document(doc, chunk_tokens=24, overlap_tokens=8)
    assert len(chunks) > 10  # anchors sit in earlier chunks than the phrases using them
    nodes = nodes_for_document(doc, chunks)
    notes = [n.metadata["date_notes"] for n in nodes]
    assert notes == [_notes_with_whole_prefix(doc, c) for c in chunks]
    assert any("5 March 2017" in n for n in notes) and any("30 June 2016" in n for n in notes)


def test_date_notes_scan_each_character_a_bounded_number_of_times(tmp_path, monkeypatch):
    """Operation count, not wall-clock: the text searched for "two days later"'s anchor.

    Searching the whole prefix for every sentence made a 4 MB file take 8 s and 50 MB never end.
    """
    from index import dates
    from index.chunking import chunk_document
    from index.nodes import nodes_for_document

    searched: list[int] = []
    anchor_day = dates._anchor_day

    def counting(text: str, year: int | None, month: int | None):  # type: ignore[no-untyped-def]
        searched.append(len(text))
        return anchor_day(text, year, month)

    monkeypatch.setattr(dates, "_anchor_day", counting)
    doc = _doc(tmp_path, STORY * 400)  # 90 kB: every prefix together would be ~5 GB
    nodes_for_document(doc, chunk_document(doc))
    assert len(searched) > 1000
    assert sum(searched) < 3 * len(doc.text)


# -- German is a language file: its [dates] words, no code -------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Datum: 2. März 2017\n\nText.", "2017-03-02"),
        ("Veröffentlicht: 2017-03-02\nText.", "2017-03-02"),
    ],
)
def test_a_german_date_line(text, date):
    assert parse_date_header(text) == (date, "Text.")


@pytest.mark.parametrize(
    ("value", "iso"),
    [("2. März 2017", "2017-03-02"), ("Dez. 2016", "2016-12"), ("Mai 2016", "2016-05")],
)
def test_german_dates_in_metadata(value, iso):
    assert normalize_date(value) == iso


@pytest.mark.parametrize(
    ("sentence", "context", "expected"),
    [
        ("Die Sanktionen wurden letztes Jahr aufgehoben.", "", [("letztes Jahr", "2016")]),
        ("Am 27. Juni letzten Jahres schrieb er.", "",
         [("Am 27. Juni letzten Jahres", "27 Juni 2016")]),
        ("Zwei Tage später traf man sich.", "am 27. Juni 2016",
         [("Zwei Tage später", "29 Juni 2016")]),
        ("Am nächsten Tag kam die Antwort.", "am 30. Juni 2016",
         [("Am nächsten Tag", "1 Juli 2016")]),
        ("Drei Wochen zuvor war es still.", "am 22. Juli 2016",
         [("Drei Wochen zuvor", "1 Juli 2016")]),
    ],
)  # fmt: skip
def test_german_relative_dates(sentence, context, expected):
    assert resolve_relative_dates(sentence, "2017-03", context) == expected
