#!/usr/bin/env bash
# Converts test checkpoints to llama.cpp's GGUF at q8_0 for bench/peers, with the
# convert_hf_to_gguf.py of the llama.cpp inside the pinned llama-cpp-python sdist (from PyPI), so
# the model file matches the llama.cpp that runs it. The converter runs in the reference Python
# environment (SENTVEC_REFENV: torch, transformers) with that source's own gguf-py.
# Usage: bash weights/export-gguf.sh checkpoint...   → $SENTVEC_WEIGHTS/gguf/<checkpoint>/model-q8_0.gguf
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
weights="${SENTVEC_WEIGHTS:-$HOME/.cache/sentvec/weights}"
python="${SENTVEC_REFENV:-$HOME/.cache/sentvec/refenv}/bin/python"
version="$(sed -n 's/^llama-cpp-python==//p' "$here/../bench/peers/requirements-llama-cpp.txt")"
source_root="$HOME/.cache/sentvec/llama-cpp-python-$version"
llama_cpp="$source_root/vendor/llama.cpp"

if [ ! -x "$python" ]; then
  printf 'export-gguf: no Python at %s: create the reference environment or set SENTVEC_REFENV\n' "$python" >&2
  exit 1
fi
if [ ! -f "$llama_cpp/convert_hf_to_gguf.py" ]; then
  download="$(mktemp -d)"
  "$python" -m pip download --quiet --no-binary :all: --no-deps "llama-cpp-python==$version" -d "$download" >&2
  mkdir -p "$source_root.tmp"
  tar xzf "$download/llama_cpp_python-$version.tar.gz" -C "$source_root.tmp" --strip-components=1
  rm -rf "$download" "$source_root"
  mv "$source_root.tmp" "$source_root"
fi

for checkpoint in "$@"; do
  target="$weights/gguf/$checkpoint/model-q8_0.gguf"
  stamp="$(cat "$weights/$checkpoint/.complete") llama-cpp-python $version"
  if [ -f "$target.complete" ] && [ "$(cat "$target.complete")" = "$stamp" ]; then
    continue
  fi
  mkdir -p "$(dirname "$target")"
  rm -f "$target" "$target.complete"
  PYTHONPATH="$llama_cpp/gguf-py" "$python" "$llama_cpp/convert_hf_to_gguf.py" "$weights/$checkpoint" \
    --outtype q8_0 --outfile "$target.tmp" >&2
  mv "$target.tmp" "$target"
  printf '%s' "$stamp" > "$target.complete"
  printf 'export-gguf: %s -> %s\n' "$checkpoint" "$target" >&2
done
