"""The evidence selector (a llama-index node postprocessor) with the deterministic fake embedder."""

from __future__ import annotations

from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.evidence import EvidenceSelector, to_evidence

SWEDISH = (
    "Putin framför sina kondoleanser till Erdogan. "
    "Och i ett brev till Putin den 27 juni förra året framför Erdogan sina kondoleanser. "
    "Moskva straffar Ankara med sanktioner mot import av turkiska livsmedel. "
    "Vid ett möte i S:t Petersburg i augusti 2016 meddelas att förbindelserna ska återupprättas."
)


def chunk(text: str, language: str, notes: str = "") -> NodeWithScore:
    meta = {"doc_id": language, "source": f"/docs/{language}.txt", "language": language,
            "start": 0, "date": "2017-03", "date_notes": notes}  # fmt: skip
    return NodeWithScore(node=TextNode(text=text, metadata=meta), score=1.0)


def select(embedder, question: str, *, cross: bool, notes: str = "") -> list[str]:
    selector = EvidenceSelector(embed_model=embedder, cross_language=cross)
    bundle = QueryBundle(query_str=question, custom_embedding_strs=[question])
    kept = selector.postprocess_nodes([chunk(SWEDISH, "sv", notes)], query_bundle=bundle)
    return [e.text for e in to_evidence(kept)]


def test_same_language_selection_keeps_a_few_scored_sentences(fake_embedder):
    kept = select(fake_embedder, "Vad förbjöd Moskva import av?", cross=False)
    assert kept[0].startswith("Moskva straffar Ankara") and len(kept) <= 4


def test_cross_language_selection_keeps_only_sentences_anchored_to_the_question(fake_embedder):
    kept = select(fake_embedder, "What kind of Turkish imports did Russia ban?", cross=True)
    assert kept == ["Moskva straffar Ankara med sanktioner mot import av turkiska livsmedel."]
    # nothing about the question: nothing kept, even though Putin is named
    assert select(fake_embedder, "What did Putin eat for breakfast?", cross=True) == []


def test_cross_language_date_question_prefers_the_dated_sentence(fake_embedder):
    start = SWEDISH.index("Och i ett brev")
    notes = f"{start}\tden 27 juni förra året\t27 juni 2016"
    question = "In what year did Erdogan send his letter of condolence to Putin?"
    kept = select(fake_embedder, question, cross=True, notes=notes)
    assert kept and kept[0].startswith("Och i ett brev till Putin den 27 juni")
    assert all("juni" in k or "2016" in k for k in kept)
