"""ui/format.py: answers, sources, status and ingest results as escaped HTML."""

import re
from dataclasses import replace

import pytest

from assistant import Answer, Citation, Timings
from index.ingest import IngestReport
from index.store import StoredDocument
from ui import format as fmt

CONTEXT = "Ties froze in 2015.\n\nThe sanctions were lifted in July 2016. Trade grew."
QUOTE = "The sanctions were lifted in July 2016."


def citation(n=1, **changes) -> Citation:
    start = CONTEXT.index(QUOTE)
    values = {
        "n": n,
        "source": "/docs/moscow_times.txt",
        "title": "Ankara and Moscow",
        "date": "2017-03",
        "language": "en",
        "quote": QUOTE,
        "start": 100 + start,
        "end": 100 + start + len(QUOTE),
        "score": 0.8,
        "context": CONTEXT,
        "context_start": 100,
    }
    values.update(changes)
    return Citation(**values)


def answer(text="Lifted in July 2016 [1].", citations=None, **changes) -> Answer:
    values = {"question": "When?", "text": text, "refused": False, "language": "en"}
    values.update(changes)
    cited = (citation(),) if citations is None else tuple(citations)
    return Answer(citations=cited, **values)


def test_highlight_marks_the_quote_inside_its_context():
    html = fmt.highlight(citation())
    assert "Ties froze in 2015.<br><br><mark>The sanctions were lifted in July 2016.</mark>" in html
    assert html.endswith("</mark> Trade grew.")


@pytest.mark.parametrize(
    "changes",
    [
        {"start": 0, "end": 5},  # offsets that do not point at the quote
        {"context_start": 10_000},  # offsets outside the context
    ],
)
def test_highlight_finds_the_quote_when_offsets_disagree(changes):
    html = fmt.highlight(citation(**changes))
    assert html.count("<mark>") == 1
    assert f"<mark>{QUOTE}</mark>" in html


def test_highlight_without_context_shows_the_quote_alone():
    assert fmt.highlight(citation(context="")) == f"<mark>{QUOTE}</mark>"


def test_markers_link_to_their_source_anchor_and_unknown_numbers_stay_text():
    html = fmt.link_markers("A [1]. B [7].", "t3", {1})
    assert '<a class="cite" href="#src-t3-1" title="Source 1">[1]</a>' in html
    assert "B [7]." in html
    assert 'id="src-t3-1"' in fmt.render_source(citation(), "t3")


def test_answer_has_linked_markers_and_an_expandable_source_with_every_field():
    html = fmt.render_answer(answer(), "t1")
    assert 'href="#src-t1-1"' in html
    source = re.search(r'<details class="source" id="src-t1-1">.*?</details>', html).group()
    summary = re.search(r"<summary>.*</summary>", source).group()
    for shown in ("Ankara and Moscow", "moscow_times.txt", "2017-03", "English", QUOTE):
        assert shown in summary  # visible while the source is collapsed
    assert '<div class="src-context"' in source  # the context, once expanded
    assert "\n" not in html  # one raw HTML block for the chatbot's Markdown renderer


def test_undated_source_says_so():
    assert "undated" in fmt.source_label(citation(date=None, title=None))


def test_everything_from_documents_is_escaped():
    evil = "<script>alert(1)</script>"
    cited = citation(
        title=evil, source=f"/docs/{evil}.txt", quote=evil, context=f"x {evil} y", start=102,
        end=102 + len(evil), context_start=100,
    )  # fmt: skip
    html = fmt.render_answer(answer(text=f"{evil} [1].", citations=[cited]), "t1")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in fmt.render_error(evil)
    assert "<script" not in fmt.render_question(evil)


def test_refusal_is_shown_as_a_refusal_without_sources():
    refused = answer(text="I cannot answer that from the documents.", citations=(), refused=True)
    html = fmt.render_answer(refused, "t1")
    assert 'class="answer refused"' in html
    assert "Sources" not in html
    why = replace(refused, refusal_reason="the documents do not mention <Kyoto>")
    assert "Why: the documents do not mention &lt;Kyoto&gt;." in fmt.render_answer(why, "t1")


def test_removed_sentences_are_counted_but_never_shown():
    html = fmt.render_answer(answer(removed=("Putin visited Paris in 1999.",)), "t1")
    assert "1 draft sentence was removed" in html
    assert "Paris" not in html


def test_a_rewritten_follow_up_shows_how_it_was_understood():
    follow_up = answer(
        question="And then?", standalone_question="When were <the> sanctions lifted?"
    )
    html = fmt.render_answer(follow_up, "t1")
    assert "Understood as: When were &lt;the&gt; sanctions lifted?" in html
    plain = fmt.render_answer(answer(standalone_question="When?"), "t1")
    assert "Understood as" not in plain


def test_pending_answer_says_it_is_checking_and_nothing_else():
    html = fmt.render_pending()
    assert 'class="answer pending"' in html and "checking" in html
    assert "<a " not in html and "[" not in html


def test_the_source_panel_names_the_file_but_not_its_folder():
    html = fmt.render_answer(answer(), "t1")
    assert "moscow_times.txt" in html and "/docs/" not in html


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("/srv/data/uploads/ab12/report.txt: not UTF-8", "report.txt: not UTF-8"),
        ("cannot open the store in /home/ada/.local/share/assistant (x)", "cannot open the "
         "store in assistant (x)"),
        ("see ~/notes/a.md and /tmp/x", "see a.md and x"),
        ("server http://127.0.0.1:8000/api/v2 down", "server http://127.0.0.1:8000/api/v2 down"),
        ("a/b relative stays", "a/b relative stays"),
        ("no paths here", "no paths here"),
    ],
)  # fmt: skip
def test_hide_paths(message, expected):
    assert fmt.hide_paths(message) == expected


def test_errors_and_notices_hide_server_paths():
    assert "/srv" not in fmt.render_error("cannot read /srv/data/x.gguf")
    assert "/srv" not in fmt.notice("cannot read /srv/data/x.gguf", error=True)
    assert "x.gguf" in fmt.notice("cannot read /srv/data/x.gguf")


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 bytes"), (999, "999 bytes"), (3160, "3.16 kB"), (64_000_000, "64 MB")]
)
def test_sizes_for_people(n, text):
    assert fmt.size(n) == text


def test_status_line_names_model_index_size_and_timings():
    assert fmt.status_line("bundled-0.5b", 1, 3) == (
        '<div class="status">Model <code>bundled-0.5b</code> · 1 document, 3 chunks</div>'
    )
    line = fmt.status_line("m", 2, 11, Timings(retrieve_s=0.52, total_s=4.04, first_token_s=1.5))
    assert "2 documents, 11 chunks · last answer 4.0 s (retrieval 0.5 s, first token 1.5 s)" in line


def test_document_rows_and_choices():
    doc = StoredDocument(
        doc_id="abc", source="/d/a.txt", title=None, date="2017-03", language="sv",
        file_hash="f", content_hash="c", chunks=8, indexed_at="2026-01-02T03:04:05+00:00",
    )  # fmt: skip
    assert fmt.document_rows([doc]) == [
        ["a.txt", "", "2017-03", "Swedish", 8, "2026-01-02 03:04:05"]
    ]
    assert fmt.document_choices([doc]) == [("a.txt", "abc")]


def test_ingest_message_names_each_file_and_the_reason_a_file_failed():
    report = IngestReport(
        added=("/u/new.md",), unchanged=("/u/old.txt",), failed=(("/u/bad.pdf", "not a PDF"),)
    )
    html = fmt.ingest_message(report)
    assert "Indexed <code>new.md</code>" in html
    assert "<code>old.txt</code> is already indexed" in html
    assert 'role="alert">✗ <code>bad.pdf</code> was not indexed: not a PDF' in html
    assert "1 failed" in html
