"""Writes the token id goldens test/tokenizer-parity.test.ts compares sentvec's tokenizer against.

For every test checkpoint, sentence-transformers (Hugging Face `tokenizers` underneath) tokenizes
every STS-B test sentence, in file order (sentence1, sentence2 of each pair), and every text of
test/data/unicode-stress.json, with the checkpoint's own max_seq_length. It does so twice: as
the checkpoint ships, and with tokenizer.json hidden, so transformers builds the tokenizer from
vocab.txt + tokenizer_config.json (the fallback sentvec also implements). Writes, per checkpoint,
tokens-<name>.json:
  checkpoint, max_seq_length, versions   what made the goldens
  pad_id                                 the tokenizer's pad_token_id
  sts_count, sts_sha256                  the STS-B sentences, by count and hash of "\\n".join
  stress_texts                           the stress texts themselves
  sts_ids, stress_ids                    ids with special tokens, padding stripped
  fallback_differs                       {"sts"|"stress": {index: ids}} where the vocab.txt
                                         tokenizer gives other ids than tokenizer.json

Run with the reference stack (torch 2.13.0, sentence-transformers, transformers, tokenizers):
  python test/goldens/make_token_goldens.py [checkpoint ...]
Weights are read from $SENTVEC_WEIGHTS (default ~/.cache/sentvec/weights; see weights/fetch.sh).
"""
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

HERE = Path(__file__).resolve().parent
STS = HERE.parent / "data" / "stsbenchmark" / "sts-test.csv"
STRESS = HERE.parent / "data" / "unicode-stress.json"
WEIGHTS = Path(os.environ.get("SENTVEC_WEIGHTS", Path.home() / ".cache" / "sentvec" / "weights"))
CHECKPOINTS = ["all-MiniLM-L6-v2", "minilm-l12-random", "all-mpnet-base-v2", "multi-qa-mpnet-base-dot-v1-layout"]
BATCH = 64


def sts_sentences():
    """Same list as test/fixtures.ts stsTestSentences: split on tab, no trimming."""
    sentences = []
    for line in STS.read_text(encoding="utf-8").split("\n"):
        if line:
            columns = line.split("\t")
            sentences += [columns[5], columns[6]]
    return sentences


def token_ids(model, texts):
    ids = []
    for start in range(0, len(texts), BATCH):
        features = model.tokenize(texts[start:start + BATCH])
        for row, mask in zip(features["input_ids"].tolist(), features["attention_mask"].tolist()):
            ids.append(row[:sum(mask)])
    return ids


def without_tokenizer_json(folder, scratch):
    """A view of the checkpoint folder without tokenizer.json (symlinks, nothing copied)."""
    view = Path(scratch) / folder.name
    view.mkdir()
    for entry in folder.iterdir():
        if entry.name != "tokenizer.json":
            (view / entry.name).symlink_to(entry)
    return view


def dump_ids(rows):
    return "[\n" + ",\n".join(json.dumps(row, separators=(",", ":")) for row in rows) + "\n]"


def main(names):
    sts = sts_sentences()
    stress = json.loads(STRESS.read_text(encoding="utf-8"))
    for name in names:
        folder = WEIGHTS / name
        model = SentenceTransformer(str(folder), device="cpu")
        sts_ids, stress_ids = token_ids(model, sts), token_ids(model, stress)
        with tempfile.TemporaryDirectory() as scratch:
            fallback = SentenceTransformer(str(without_tokenizer_json(folder, scratch)), device="cpu")
            if fallback.max_seq_length != model.max_seq_length:
                raise SystemExit(f"{name}: the vocab.txt tokenizer has max_seq_length {fallback.max_seq_length}")
            fallback_differs = {}
            for key, texts, expected in (("sts", sts, sts_ids), ("stress", stress, stress_ids)):
                found = token_ids(fallback, texts)
                fallback_differs[key] = {str(i): ids for i, (ids, want) in enumerate(zip(found, expected)) if ids != want}
        header = {
            "checkpoint": name,
            "max_seq_length": model.max_seq_length,
            "pad_id": model.tokenizer.pad_token_id,
            "versions": {
                "sentence_transformers": sentence_transformers.__version__,
                "transformers": transformers.__version__,
                "tokenizers": tokenizers.__version__,
                "torch": torch.__version__,
            },
            "sts_count": len(sts),
            "sts_sha256": hashlib.sha256("\n".join(sts).encode("utf-8")).hexdigest(),
            "stress_texts": stress,
            "fallback_differs": fallback_differs,
        }
        body = json.dumps(header, ensure_ascii=False, indent=1)[:-2]
        body += ',\n "sts_ids": ' + dump_ids(sts_ids) + ',\n "stress_ids": ' + dump_ids(stress_ids) + "\n}\n"
        out = HERE / f"tokens-{name}.json"
        out.write_text(body, encoding="utf-8")
        differing = sum(len(rows) for rows in fallback_differs.values())
        print(f"{name}: {len(sts)} STS-B + {len(stress)} stress texts, longest {max(map(len, sts_ids + stress_ids))} ids, "
              f"{differing} differ without tokenizer.json -> {out}")


if __name__ == "__main__":
    main(sys.argv[1:] or CHECKPOINTS)
