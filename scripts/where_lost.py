"""Where answers are lost before the model: retrieval, or the choice of evidence sentences.

    .venv/bin/python scripts/where_lost.py [tests/eval/*_dev.jsonl ...] [--show]

For every answerable, single-turn question whose gold holds a fact to find (not a bare yes or
no), the script retrieves and selects evidence exactly as `ask` does (no LLM is loaded: both
happen before the model is asked) and counts where the gold answer stands: in a sentence the
model is shown, only in a retrieved chunk (the evidence selector passed it over), or in no
retrieved chunk. Per set and pooled. A change to retrieval or evidence selection is measured
here in a minute, before an `assistant eval` says what the model makes of it.

--show prints each question whose gold is not shown, with the best evidence sentence; it is
refused for test splits (tune on dev only, tests/eval/README.md). Without it, test splits are
counted too: the counts report, they do not tune.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", type=Path, help="question files (dev splits)")
    parser.add_argument("--show", action="store_true", help="print the questions not shown")
    args = parser.parse_args()
    files = args.questions or sorted((ROOT / "tests" / "eval").glob("*_dev.jsonl"))
    if args.show and (bad := [str(f) for f in files if f.name.endswith("_test.jsonl")]):
        parser.error(f"{', '.join(bad)}: --show reads questions one by one; dev splits only")
    if missing := [str(f) for f in files if not f.is_file()]:
        parser.error(f"no such question file: {', '.join(missing)}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from llama_index.core.llms import MockLLM

    from assistant import Assistant
    from assistant.errors import AssistantError
    from assistant.eval import load_questions
    from assistant.eval_corpus import corpus_assistant, resolve_corpus, set_name
    from assistant.metrics import NOT_RETRIEVED, NOT_SHOWN, SHOWN, evidence_stage
    from assistant.retrieval import query_bundle

    stages = (SHOWN, NOT_SHOWN, NOT_RETRIEVED)
    try:
        base = Assistant(llm=MockLLM())  # retrieval and selection never ask the model
        pooled: Counter[str] = Counter()
        print(f"{'set':<24}" + "".join(f"{s:>22}" for s in stages))
        for path in files:
            docs = resolve_corpus(path, None)
            assistant = corpus_assistant(docs, base)[0] if docs is not None else base
            engine = assistant.engine
            counts: Counter[str] = Counter()
            for q in load_questions(path):
                if not q.answerable or q.history:
                    continue
                bundle = query_bundle(q.question.strip())  # as `ask` does (engine.prepare)
                hits = engine.chunks(bundle)
                evidence = engine.select(hits, bundle)  # from the same chunks: retrieved once
                chunks = [hit.node.get_content() for hit in hits]
                stage = evidence_stage(q.answers, chunks, [e.text for e in evidence])
                if stage is None:
                    continue
                counts[stage] += 1
                if args.show and stage != SHOWN:
                    best = evidence[0].text if evidence else "(no evidence)"
                    print(f"  {stage}: {q.id} | {q.question} | best: {best[:100]!r}")
            pooled.update(counts)
            name = f"{set_name(path)} ({path.stem.rsplit('_', 1)[-1]})"
            print(f"{name:<24}" + "".join(f"{counts[s]:>22}" for s in stages), flush=True)
        print(f"{'pooled':<24}" + "".join(f"{pooled[s]:>22}" for s in stages))
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
