"""Exports the test checkpoints to ONNX for the peer benchmarks (bench/peers).

Each checkpoint under $SENTVEC_WEIGHTS (default ~/.cache/sentvec/weights) becomes
$SENTVEC_WEIGHTS/onnx/<checkpoint>/ in the layout transformers.js loads from local files:
onnx/model.onnx next to config.json and the tokenizer files, plus the sentence-transformers
module files so every peer reads pooling and normalization from the same place.

The graph takes input_ids, attention_mask (and token_type_ids for BERT) with dynamic batch and
sequence axes and returns last_hidden_state only: pooling stays outside, as in sentvec.
Every export is checked against the PyTorch model on padded inputs before it is kept.

Beside onnx/model.onnx go the int8 files the peers publish for these models, each made with
onnxruntime's dynamic quantization (int8 weights, uint8 activations quantized per call):
onnx/model_qint8_avx512_vnni.onnx as Optimum's avx512_vnni config writes it (what
sentence-transformers' export_dynamic_quantized_onnx_model uses) and onnx/model_quantized.onnx,
which transformers.js loads for dtype 'q8', as its scripts/convert.py --quantize writes it.

Usage: python export-onnx.py [--force] [checkpoint ...]
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModel, AutoTokenizer

CHECKPOINTS = [
    "all-MiniLM-L6-v2",
    "minilm-l12-random",
    "all-mpnet-base-v2",
    "multi-qa-mpnet-base-dot-v1-layout",
]
# Everything but the weights: the tokenizer for transformers.js, the module files for pooling.
COPIED_FILES = [
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
]
TOLERANCE = 1e-4
# Both recipes quantize every operator type onnxruntime has an integer kernel for (MatMul with a
# constant weight, Gather for the embeddings) with signed weights, per output channel.
QUANTIZED = {
    # Optimum AutoQuantizationConfig.avx512_vnni(is_static=False, per_channel=True): full 8-bit range.
    "model_qint8_avx512_vnni.onnx": {"per_channel": True, "reduce_range": False},
    # transformers.js scripts/convert.py: per_channel and reduce_range (7-bit weights, safe from
    # vpmaddubsw saturation without VNNI) for every model type outside its decoder/audio list,
    # QInt8 weights when the graph has no Conv.
    "model_quantized.onnx": {"per_channel": True, "reduce_range": True},
}
# The check runs on another batch size and length than the export traced, so it proves the axes dynamic.
EXPORT_SENTENCES = [
    "A girl is styling her hair.",
    "A group of men play soccer on the beach, while a dog watches them from the dunes nearby.",
]
CHECK_SENTENCES = [
    "One woman is measuring another woman's ankle.",
    "A man is playing the flute.",
    "Three dogs run through tall grass toward a lake where children are swimming and shouting at one another.",
]


class LastHiddenState(torch.nn.Module):
    """Returns a tensor rather than a ModelOutput so the graph has one named output."""

    def __init__(self, model, uses_token_type_ids):
        super().__init__()
        self.model = model
        self.uses_token_type_ids = uses_token_type_ids

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if self.uses_token_type_ids:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def weights_root():
    return Path(os.environ.get("SENTVEC_WEIGHTS", Path.home() / ".cache/sentvec/weights"))


def stamp_of(source):
    """The source folder's own completion stamp: a re-fetched checkpoint invalidates its export."""
    return (source / ".complete").read_text().strip()


def export(name, root, force):
    source = root / name
    target = root / "onnx" / name
    if not (source / ".complete").exists():
        sys.exit(f"export-onnx: {source} is missing or incomplete; run `bash weights/fetch.sh` first")
    stamp = f"{stamp_of(source)} torch {torch.__version__}"
    if not force and (target / ".complete").exists() and (target / ".complete").read_text() == stamp:
        print(f"export-onnx: {name} is up to date", file=sys.stderr)
        quantize(target)
        return

    # Eager attention: the plainest graph, which every onnxruntime build runs the same way.
    model = AutoModel.from_pretrained(source, attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(source)
    uses_token_type_ids = model.config.model_type == "bert"
    input_names = ["input_ids", "attention_mask"] + (["token_type_ids"] if uses_token_type_ids else [])
    traced = tokenizer(EXPORT_SENTENCES, padding=True, return_tensors="pt")

    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "onnx").mkdir(parents=True)
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(model, uses_token_type_ids).eval(),
            tuple(traced[input_name] for input_name in input_names),
            staging / "onnx" / "model.onnx",
            input_names=input_names,
            output_names=["last_hidden_state"],
            dynamic_shapes={input_name: {0: batch, 1: sequence} for input_name in input_names},
            external_data=False,
            dynamo=True,
        )
        encoded = tokenizer(CHECK_SENTENCES, padding=True, return_tensors="pt")
        expected = model(**{k: encoded[k] for k in input_names}).last_hidden_state.numpy()

    session = onnxruntime.InferenceSession(str(staging / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    (found,) = session.run(None, {k: encoded[k].numpy() for k in input_names})
    # Padded positions carry no meaning and differ between attention implementations.
    mask = encoded["attention_mask"].numpy()[..., None].astype(bool)
    delta = float(np.max(np.abs(np.where(mask, found - expected, 0.0))))
    if delta > TOLERANCE:
        sys.exit(f"export-onnx: {name}: ONNX last_hidden_state differs from PyTorch by {delta:.3g} > {TOLERANCE}")

    for relative in COPIED_FILES:
        if (source / relative).exists():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source / relative, staging / relative)
    (staging / ".complete").write_text(stamp)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    print(f"export-onnx: {name} -> {target} (max |delta| vs PyTorch {delta:.2g})", file=sys.stderr)
    quantize(target)


def quantize(target):
    """Writes the int8 files of an export, again when onnxruntime changed since they were made."""
    stamp = f"onnxruntime {onnxruntime.__version__}"
    stamp_file = target / ".quantized"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    for file_name, settings in QUANTIZED.items():
        quantize_dynamic(
            target / "onnx" / "model.onnx",
            target / "onnx" / file_name,
            weight_type=QuantType.QInt8,
            extra_options={"EnableSubgraph": True, "MatMulConstBOnly": True},
            **settings,
        )
        print(f"export-onnx: {target.name} -> onnx/{file_name}", file=sys.stderr)
    stamp_file.write_text(stamp)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="export again even if up to date")
    parser.add_argument("checkpoints", nargs="*", default=CHECKPOINTS, help=", ".join(CHECKPOINTS))
    args = parser.parse_args()
    unknown = sorted(set(args.checkpoints) - set(CHECKPOINTS))
    if unknown:
        parser.error(f"unknown checkpoint {', '.join(unknown)}; expected one of {', '.join(CHECKPOINTS)}")
    root = weights_root()
    for name in args.checkpoints:
        export(name, root, args.force)


if __name__ == "__main__":
    main()
