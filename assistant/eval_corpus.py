"""The documents a question set is about, indexed apart from the user's own index.

A question file names its corpus in a sidecar next to it: `<set>.corpus`, where `<set>` is the
file's stem without a `_dev` or `_test` suffix, so `manuals_dev.jsonl` and `manuals_test.jsonl`
share `manuals.corpus`. The sidecar holds one path, relative to the sidecar (`#` lines are
comments):

    # sections of Debian's Debian Edu manuals
    ../corpora/debian-edu

`assistant eval --docs PATH` overrides it; a set with neither runs over the user's own index.

A corpus is indexed into its own store under `<data dir>/eval/<key>/`, where the key hashes the
corpus files' names and contents together with the embedder and chunking settings. The user's
index is never read or written, and a second run finds every file unchanged and embeds nothing;
a changed file, embedder or chunk size gives a new key, so a store never mixes two versions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.settings import Settings

SPLITS = ("dev", "test")
SIDECAR_SUFFIX = ".corpus"


def set_name(questions_path: str | Path) -> str:
    """The set a question file belongs to: its stem without a `_dev`/`_test` split suffix."""
    stem = Path(questions_path).stem
    base, _, split = stem.rpartition("_")
    return base if base and split in SPLITS else stem


def default_corpus(questions_path: str | Path) -> Path | None:
    """The corpus named by the file's own `<stem>.corpus` or its set's `<set>.corpus`, if any."""
    path = Path(questions_path)
    for name in dict.fromkeys((path.stem, set_name(path))):
        sidecar = path.with_name(name + SIDECAR_SUFFIX)
        if not sidecar.is_file():
            continue
        lines = sidecar.read_text(encoding="utf-8").splitlines()
        targets = [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]
        if len(targets) != 1:
            raise ConfigError(
                f"{sidecar}: write exactly one path (relative to this file) to the documents "
                "the questions are about, e.g. ../corpora/debian-edu"
            )
        corpus = (sidecar.parent / targets[0]).resolve()
        if not corpus.exists():
            raise ConfigError(f"{sidecar}: {targets[0]} ({corpus}) does not exist; fix the path")
        return corpus
    return None


def resolve_corpus(questions_path: str | Path, docs: str | Path | None) -> Path | None:
    """docs if given (it must exist), else the set's default corpus, else None (own index)."""
    if docs is None:
        return default_corpus(questions_path)
    path = Path(docs).expanduser().resolve()
    if not path.exists():
        raise ConfigError(f"--docs {docs}: no such file or folder; give the documents' path")
    return path


def corpus_key(docs: Path, settings: Settings) -> str:
    """Hash of the corpus files' relative names and contents, the embedder and the chunking."""
    from index.ingest import expand_paths
    from index.loaders import LOADER_VERSION, file_sha256

    files, _ = expand_paths([docs])
    root = docs if docs.is_dir() else docs.parent
    digest = hashlib.sha256()
    for path in sorted(files):
        relative = path.relative_to(root.resolve()) if path.is_relative_to(root.resolve()) else path
        digest.update(f"{relative.as_posix()}\0{file_sha256(path)}\n".encode())
    digest.update(f"loader{LOADER_VERSION}".encode())  # a loader's new text: a new store
    digest.update(str(settings.models.embedder).encode())
    digest.update(json.dumps(settings.chunking.model_dump(mode="json"), sort_keys=True).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Corpus:
    """A corpus indexed for an evaluation: where it is, where its store is, what ingest did."""

    path: Path
    key: str
    data_dir: Path
    documents: int
    indexed: int  # embedded in this run (0 on a second run)
    unchanged: int

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "key": self.key,
            "data_dir": str(self.data_dir),
            "documents": self.documents,
            "indexed": self.indexed,
            "unchanged": self.unchanged,
        }


def corpus_assistant(docs: Path, base: Assistant) -> tuple[Assistant, Corpus]:
    """An Assistant over docs alone, in its own cached store, sharing base's models.

    base's settings say where the data dir is; its LLM and embedder are reused (loaded once for
    several sets). base's own store is left alone.
    """
    from assistant.api import Assistant

    settings = base.settings
    key = corpus_key(docs, settings)
    data_dir = Path(settings.data_dir).expanduser() / "eval" / key
    # A separate data dir keeps the embedded store apart; a separate collection name does the
    # same on a shared Chroma server (ASSISTANT_CHROMA_URL), where the data dir plays no part.
    own = settings.model_copy(
        update={"data_dir": data_dir, "collection": f"{settings.collection}__eval_{key}"}
    )
    assistant = Assistant(own, llm=base.llm, embedder=base.embedder)
    report = assistant.ingest([docs])
    # The key names files relative to the corpus, so the same corpus at another path (a second
    # clone, a copy) finds this store: its documents from the old path would then be retrieved
    # twice. The store holds exactly the corpus's files.
    from index.ingest import expand_paths

    files = {str(path.resolve()) for path in expand_paths([docs])[0]}
    for stale in assistant.store.documents():
        if str(Path(stale.source).resolve()) not in files:
            assistant.remove(stale.doc_id)
    if report.failed:
        failed = "; ".join(f"{path}: {reason}" for path, reason in report.failed)
        raise ConfigError(
            f"could not index every document of the evaluation corpus {docs} ({failed}); an "
            "evaluation over part of its corpus would mislead, so fix or remove those files"
        )
    corpus = Corpus(
        path=docs,
        key=key,
        data_dir=data_dir,
        documents=len(assistant.store.documents()),
        indexed=len(report.indexed),
        unchanged=len(report.unchanged),
    )
    return assistant, corpus


__all__ = [
    "Corpus",
    "corpus_assistant",
    "corpus_key",
    "default_corpus",
    "resolve_corpus",
    "set_name",
]
