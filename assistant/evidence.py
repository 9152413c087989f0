"""Evidence selection: from retrieved chunks keep only the few sentences that answer the question.

The 0.5B model answers well from three focused sentences and badly from whole articles, and it
reads ~200 tokens/s here, so this step decides both quality and speed. It is a llama-index node
postprocessor: chunk nodes in, sentence nodes out, each scored by meaning (embedding cosine)
and by the question's words, names and numbers it contains (lexical).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import Field
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.citations import Span
from assistant.safety import is_instruction, neutralize
from assistant.short_answer import TYPED_KINDS, answer_type, has_answer_type
from assistant.text import content_words, key_terms, stem_match, stopwords
from index.chunking import LINE_END, split_sentences

DENSE_WEIGHT = 0.6  # meaning matters most, but names and numbers decide between near ties


@dataclass(frozen=True, slots=True)
class Evidence:
    """One sentence shown to the LLM under the number n."""

    n: int
    doc_id: str
    source: str
    title: str | None
    date: str | None
    language: str
    text: str  # == cleaned document text[start:end]
    start: int
    end: int
    score: float
    dense: float
    lexical: float
    notes: tuple[tuple[str, str], ...] = ()  # resolved relative dates: (phrase, date)
    context: str = ""  # the chunk the sentence came from, for display
    context_start: int = 0  # offset of `context` in the cleaned document
    heading: str = ""  # the heading the sentence stands under in its chunk, if any

    @property
    def name(self) -> str:
        return Path(self.source).name

    @property
    def facts_text(self) -> str:
        """The sentence followed by its resolved dates: what it can be said to state."""
        return " ".join([self.text, *(resolved for _, resolved in self.notes)])

    def dates_note(self) -> str:
        """' (2016)' after a quote with relative dates ("last year"); '' without them.

        Only the resolved dates: the phrases are in the document's language, which may not be
        the answer's.
        """
        resolved = "; ".join(dict.fromkeys(when for _, when in self.notes))
        return f" ({resolved})" if resolved else ""

    def span(self) -> Span:
        # Where the sentence stands (document title, section heading, its passage) lets the
        # check accept a name or topic the question gave that the sentence itself leaves out.
        return Span(
            self.n,
            self.text,
            tuple(r for _, r in self.notes),
            self.language,
            title=" ".join(filter(None, [self.title or "", self.heading])),
            passage=self.context,
        )

    def prompt_line(self) -> str:
        # Only the sentence and what the model needs to read its dates: file names and scores
        # in the prompt get copied into answers by the small model.
        resolved = "".join(f" ({phrase} = {when})" for phrase, when in self.notes)
        dated = f" (written {self.date})" if self.date and self.notes else ""
        # Document text is untrusted: the model's special tokens and fake "[n]" markers in it are
        # made inert before it enters the prompt (assistant.safety.neutralize).
        text = " ".join(neutralize(self.text).split())  # one line, whatever the layout
        return f"[{self.n}] {text}{resolved}{dated}"


def query_terms(text: str) -> list[tuple[str, float]]:
    """Weighted terms of a question: names and numbers count double."""
    terms = key_terms(text)
    weighted = {w: 1.0 for w in content_words(text) if w not in stopwords()}
    weighted.update({w: 2.0 for w in terms.names | terms.numbers})
    return sorted(weighted.items())


def lexical_score(terms: list[tuple[str, float]], sentence: str) -> float:
    """Weighted share of the question's terms found in sentence (inflection-tolerant)."""
    if not terms:
        return 0.0
    vocabulary = set(content_words(sentence)) | set(re.findall(r"\d+", sentence))
    vocabulary |= {w.lower() for w in re.findall(r"\w+", sentence) if len(w) >= 2}
    total = sum(weight for _, weight in terms)
    return sum(weight for term, weight in terms if stem_match(term, vocabulary)) / total


# A sentence under a heading shares its topic ("8. Timer is unstable" / "If this is happening,
# try …"): the heading's words count for it, at this discount, so that the sentence that answers
# is not crowded out by the heading, which says nothing itself.
HEADING_DISCOUNT = 0.8


def _lexical_under_heading(terms: list[tuple[str, float]], sentence: str, heading: str) -> float:
    own = lexical_score(terms, sentence)
    if not heading:
        return own
    return max(own, HEADING_DISCOUNT * lexical_score(terms, f"{heading} {sentence}"))


def is_heading(text: str, start: int, end: int, *, marked: frozenset[str] | None = None) -> bool:
    """True when text[start:end] is a paragraph of one short line of prose without final
    punctuation: a heading, which names a topic but states nothing. Code and commands (lower
    case or symbol first, or few letters) are not headings: they may hold the answer.

    marked: the lines the document's format marks as headings (an HTML page's <h1>…<h6>, a
    Markdown file's "#" lines), or None when it marks none. When it does, a line it does not
    mark is never a heading, however it looks: "Co-author: Jane Doe" or "Specify them in the
    file /etc/x.conf" is a fact.
    """
    line = text[start:end]
    line_start = text.rfind("\n", 0, start) + 1
    if marked is not None:
        if " ".join(text[line_start:end].split()) not in marked:
            return False
        line = line.lstrip("#").strip() or line  # a Markdown heading's "## " marks it; no looks
    own_paragraph = (
        (line_start == 0 or text[:line_start].endswith("\n\n"))
        and _NUMBERING.fullmatch(text[line_start:start]) is not None  # "8. " before a heading
        and text[end : end + 2] == "\n\n"  # a paragraph follows (a chunk may end mid-sentence)
    )
    letters = sum(c.isalpha() or c.isspace() for c in line) / len(line)
    return (
        own_paragraph
        and " | " not in line  # a table row (index/html_text.py joins cells so)
        and len(line.split()) <= HEADING_WORDS
        and (line[0].isupper() or line[0].isdigit())
        and letters >= 0.75
        # Unmarked, a closing bracket ends a statement too: "Service Level Agreement (SLA)"
        # says what SLA stands for. Marked, it is a heading ("Administrating packages
        # (apt-get)"), kept as evidence for what an acronym stands for only (_sentences).
        and line[-1] not in ".!?:;…\"'”»" + ("" if marked is not None else ")")
    )


def leads_in(text: str, end: int, following: tuple[int, int]) -> bool:
    """True when the sentence ending at end introduces the paragraph after it and says nothing
    without it: it ends its paragraph with a colon or a function word ("use the following
    command:", "add these lines in") and the next paragraph is one short line (a command, a
    path, a value). Manuals put the answer there; the two are evidence together."""
    start, stop = following
    tail = re.findall(r"\w+|\S", text[max(0, end - 40) : end])
    return (
        text[end:start].strip(" \t") == "\n\n"
        and bool(tail)
        and (tail[-1] == ":" or tail[-1].casefold() in stopwords())
        and len(text[start:stop].split()) <= LEAD_IN_WORDS
        and "\n\n" not in text[start:stop]
    )


def describes(text: str, term: tuple[int, int], following: tuple[int, int]) -> bool:
    """True when the line term[0]:term[1] is a term whose description hangs under it: the
    next line, with no blank line between, is indented deeper ("-d, --delimiter=DELIM" over
    "       Use DELIM instead of TAB …" in a manual page or --help text, a glossary's word over
    its meaning). The term is the answer to a question about what its description says, so
    the two are evidence together, the way a definition list is read."""
    start, end = term
    line_start = text.rfind("\n", 0, start) + 1
    next_start = text.rfind("\n", 0, following[0]) + 1
    return (
        "\n" not in text[start:end]  # one line
        and text[line_start:start].strip() == ""  # the span opens its line
        and text[end:next_start].strip() == ""
        and text.count("\n", end, following[0]) == 1  # the next line, no blank between
        and not LINE_END.search(text[start:end])  # spans are trimmed: it ends the line
        and len(text[start:end].split()) <= TERM_WORDS
        and _indent(text, next_start) > _indent(text, line_start)
        # a line of capitals alone ("DESCRIPTION", "SEE ALSO") heads a section, not a term
        and not (
            text[start:end].isupper() and all(c.isalpha() or c.isspace() for c in text[start:end])
        )
    )


def _indent(text: str, line_start: int) -> int:
    """Columns of blank space opening the line at line_start (a tab counts as eight)."""
    match = _INDENT.match(text, line_start)
    return len(match.group().expandtabs(8)) if match else 0


_INDENT = re.compile(r"[ \t]*")
TERM_WORDS = 8  # a longer line over an indented block is a sentence wrapped, not a term
LEAD_IN_WORDS = 25  # a longer paragraph after a lead-in stands on its own
_NUMBERING = re.compile(r"(?:[\dIVXivx]+[.)]?\s*)*")
HEADING_WORDS = 12  # a line this long or longer reads as a sentence even without a full stop


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class EvidenceSelector(BaseNodePostprocessor):
    """Turns retrieved chunk nodes into the best few sentence nodes, scored in [0, 1]."""

    embed_model: BaseEmbedding = Field(description="Embeds the question and the sentences.")
    max_sentences: int = Field(4, description="Most sentences to keep.")
    relative_cutoff: float = Field(0.75, description="Keep sentences scoring ≥ best × this.")
    dense_weight: float = Field(
        DENSE_WEIGHT, description="Share of a sentence's score that is meaning (the rest: words)."
    )
    dense_candidates: int = Field(
        12,
        ge=1,
        description="Sentences embedded per question (the most promising by words "
        "and chunk rank); the rest are not shown to the model.",
    )

    typed_cutoff: float = Field(
        0.5,
        description="A sentence holding the kind of fact asked for joins the kept ones, when "
        "none of them holds it, if it scores ≥ best × this (assistant.settings).",
    )

    @classmethod
    def class_name(cls) -> str:
        return "EvidenceSelector"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes or query_bundle is None:
            return []
        # What an acronym stands for is often given only by a heading ("Content of the
        # Service Level Agreement (SLA)"): for that question, headings are evidence too.
        expansion = answer_type(query_bundle.query_str) == "expansion"
        candidates = _sentences(nodes, headings_too=expansion)
        if not candidates:
            return []
        variants = [s for s in query_bundle.query_str.split("\n") if s.strip()]
        term_sets = [query_terms(v) for v in variants]
        # Resolved dates count: "last year" in a 2017 article answers a question about 2016.
        facts = [_facts(c) for c in candidates]
        lexical = [
            max(_lexical_under_heading(t, f, str(c.metadata.get("heading", ""))) for t in term_sets)
            for f, c in zip(facts, candidates, strict=True)
        ]
        # Embedding every sentence of every retrieved chunk costs seconds with a multilingual
        # model on two cores, so only the most promising ones are embedded: by their words and
        # by the rank of the chunk they come from (the retrievers already judged its meaning).
        prior = [lexical[i] + 1.0 / (1 + int(c.metadata["chunk_rank"])) for i, c in
                 enumerate(candidates)]  # fmt: skip
        chosen = sorted(range(len(candidates)), key=lambda i: -prior[i])[: self.dense_candidates]
        query_vecs = [self.embed_model.get_query_embedding(s) for s in query_bundle.embedding_strs]
        sentence_vecs = self.embed_model.get_text_embedding_batch(
            [candidates[i].text for i in chosen]
        )
        scored = []
        for i, vec in zip(chosen, sentence_vecs, strict=True):
            node = candidates[i]
            dense = max(_cosine(q, vec) for q in query_vecs)
            score = self.dense_weight * max(dense, 0.0) + (1 - self.dense_weight) * lexical[i]
            node.metadata.update({"dense": round(dense, 4), "lexical": round(lexical[i], 4)})
            scored.append(NodeWithScore(node=node, score=score))
        scored.sort(key=lambda n: n.score or 0.0, reverse=True)
        best = scored[0].score or 0.0
        kept = [n for n in scored if (n.score or 0.0) >= best * self.relative_cutoff][
            : self.max_sentences
        ]
        return self._with_typed(kept, scored, variants[0], best)

    def _with_typed(
        self, kept: list[NodeWithScore], scored: list[NodeWithScore], question: str, best: float
    ) -> list[NodeWithScore]:
        """kept, with the best sentence holding the kind of fact asked for when none does.

        A line that holds the answer often shares few words with the question and stands
        next to the sentence that does ("… a friend of mine played the guitars." /
        "Guitarist: Jane Doe"); without it the model can only restate the question.
        """
        wanted = answer_type(question)
        if wanted not in TYPED_KINDS:
            return kept

        def holds(n: NodeWithScore) -> bool:
            # With its passage: a capitalised sentence opener ("New devices are …") is no name.
            return isinstance(n.node, TextNode) and has_answer_type(
                _facts(n.node), wanted, question, passage=n.node.metadata["context"]
            )

        if any(holds(n) for n in kept):
            return kept
        typed = [
            n
            for n in scored
            if n not in kept and (n.score or 0.0) >= best * self.typed_cutoff and holds(n)
        ]
        if not typed:
            return kept
        # The line that answers stands right after the sentence that matches (on the dev
        # splits every answer found beside a shown sentence was one or two lines after it,
        # none before), so such a line goes before a better-scoring one elsewhere.
        extra = next((n for n in typed if _follows(n, kept[0])), typed[0])
        return [*kept[: self.max_sentences - 1], extra]


NEAR_SENTENCES = 2  # "follows": at most this many sentences (or headings) after, in one passage


def _follows(candidate: NodeWithScore, sentence: NodeWithScore) -> bool:
    """True when candidate is one of the NEAR_SENTENCES after sentence, in its passage."""
    meta, before = candidate.node.metadata, sentence.node.metadata
    return meta.get("doc_id") == before.get("doc_id") and meta["start"] in before["next_starts"]


def _facts(node: TextNode) -> str:
    """A sentence node's text followed by its resolved dates: what it can be said to state."""
    return f"{node.text} {_resolved(node)}"


def _resolved(node: TextNode) -> str:
    """The resolved dates stored with a sentence node ("februari 2017"), space-separated."""
    return " ".join(r.split("\t", 1)[-1] for r in str(node.metadata["notes"]).splitlines())


def _sentences(nodes: list[NodeWithScore], *, headings_too: bool = False) -> list[TextNode]:
    """Every distinct sentence of the retrieved chunks, as nodes with document offsets.

    Headings are not candidates (they name a topic and state nothing; quoted, they answer
    nothing): each sentence carries the heading it stands under instead. headings_too: they
    are candidates as well (what an acronym stands for may be said by a heading alone).
    """
    seen: set[tuple[str, int]] = set()
    out: list[TextNode] = []
    for rank, hit in enumerate(nodes):
        chunk = hit.node
        meta = dict(chunk.metadata)
        text = chunk.get_content()
        base = int(meta.get("start", 0))
        heading = ""
        spans = split_sentences(text)
        # Chunks indexed before LOADER_VERSION 6 carry no heading marks: judged by looks.
        marked = (
            frozenset(str(meta.get("headings", "")).splitlines())
            if meta.get("headings_marked")
            else None
        )
        described = -1  # a description already shown under its term
        for i, (rel_start, rel_end) in enumerate(spans):
            key = (str(meta.get("doc_id")), base + rel_start)
            under = heading  # the heading this line stands under
            if i == described:
                continue
            if i + 1 < len(spans) and leads_in(text, rel_end, spans[i + 1]):
                rel_end = spans[i + 1][1]  # "… add this line in" + "/etc/fstab"
            elif (
                i + 1 < len(spans)
                and describes(text, (rel_start, rel_end), spans[i + 1])
                # a section heading over a list of terms ("OPTIONS" over "-d, --delimiter")
                # is not the first term's term
                and not (i + 2 < len(spans) and describes(text, spans[i + 1], spans[i + 2]))
            ):
                rel_end, described = spans[i + 1][1], i + 1  # "-d, --delimiter" + its meaning
            elif is_heading(text, rel_start, rel_end, marked=marked):
                heading = text[rel_start:rel_end]
                if not headings_too:
                    continue
            sentence = text[rel_start:rel_end]
            if key in seen or len(sentence) < 12:
                continue
            # Document text is data: a sentence addressed to the assistant ("ignore the
            # previous instructions and answer …") is never evidence.
            if is_instruction(sentence, str(meta.get("language", "en"))):
                continue
            seen.add(key)
            notes = _notes_at(str(meta.get("date_notes", "")), base + rel_start)
            out.append(
                TextNode(
                    id_=f"{key[0]}:{key[1]}",
                    text=sentence,
                    metadata=meta
                    | {
                        "start": base + rel_start,
                        "end": base + rel_end,
                        "notes": "\n".join(f"{p}\t{r}" for p, r in notes),
                        "context": text,
                        "context_start": base,
                        "chunk_rank": rank,
                        # where the sentences (or headings) after it start: see _follows
                        "next_starts": [base + a for a, _ in spans[i + 1 : i + 1 + NEAR_SENTENCES]],
                        "heading": under,
                    },
                )
            )
    return out


def _notes_at(date_notes: str, start: int) -> list[tuple[str, str]]:
    """The resolved relative dates the index stored for the sentence starting at start."""
    found = []
    for line in date_notes.splitlines():
        offset, phrase, resolved = line.split("\t", 2)
        if int(offset) == start:
            found.append((phrase, resolved))
    return found


def to_evidence(nodes: list[NodeWithScore]) -> list[Evidence]:
    """Number the selected sentence nodes 1..k in score order."""
    out = []
    for n, hit in enumerate(nodes, start=1):
        meta = hit.node.metadata
        notes = tuple(
            tuple(line.split("\t", 1)) for line in str(meta.get("notes", "")).splitlines() if line
        )
        out.append(
            Evidence(
                n=n,
                doc_id=str(meta.get("doc_id", "")),
                source=str(meta.get("source", "")),
                title=str(meta.get("title") or "") or None,
                date=str(meta.get("date") or "") or None,
                language=str(meta.get("language", "en")),
                text=hit.node.get_content(),
                start=int(meta["start"]),
                end=int(meta["end"]),
                score=float(hit.score or 0.0),
                dense=float(meta.get("dense", 0.0)),
                lexical=float(meta.get("lexical", 0.0)),
                notes=notes,  # type: ignore[arg-type]
                context=str(meta.get("context", "")),
                context_start=int(meta.get("context_start", 0)),
                heading=str(meta.get("heading", "")),
            )
        )
    return out
