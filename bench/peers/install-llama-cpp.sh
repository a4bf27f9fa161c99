#!/usr/bin/env bash
# Creates the Python environment bench/peers runs llama.cpp in ($SENTVEC_LLAMAENV, default
# ~/.cache/sentvec/llamaenv): the pinned llama-cpp-python from PyPI, which pip builds from source
# with llama.cpp's default CPU settings (GGML_NATIVE: every instruction set extension of this
# machine, AVX-512 VNNI included). Only the text library is built: embeddings need no llava/mtmd.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
env="${SENTVEC_LLAMAENV:-$HOME/.cache/sentvec/llamaenv}"
python3 -m venv "$env"
CMAKE_ARGS="${CMAKE_ARGS:-} -DLLAVA_BUILD=OFF" "$env/bin/pip" install --quiet --no-binary llama-cpp-python -r "$here/requirements-llama-cpp.txt"
