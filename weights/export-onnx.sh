#!/usr/bin/env bash
# Exports the test checkpoints to ONNX for bench/peers with the reference Python environment
# (SENTVEC_REFENV, default ~/.cache/sentvec/refenv), adding the exporter's own packages from PyPI
# if that environment lacks them. Arguments go to export-onnx.py (checkpoint names, --force).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
refenv="${SENTVEC_REFENV:-$HOME/.cache/sentvec/refenv}"
python="$refenv/bin/python"
if [ ! -x "$python" ]; then
  printf 'export-onnx: no Python at %s: create the reference environment (torch, sentence-transformers, onnxruntime) or set SENTVEC_REFENV\n' "$python" >&2
  exit 1
fi
# torch.onnx.export's dynamo exporter needs onnx and onnxscript, which torch does not pull in.
if ! "$python" -c 'import onnx, onnxscript' 2>/dev/null; then
  "$python" -m pip install --quiet 'onnx==1.23.2' 'onnxscript==0.7.2' >&2
fi
exec "$python" "$here/export-onnx.py" "$@"
