"""Writes the embedding goldens the parity tests compare sentvec against.

For every test checkpoint, sentence-transformers on PyTorch (CPU, float32) embeds every STS-B
test sentence, in file order (sentence1, sentence2 of each pair), plus a few texts longer than
the model's max_seq_length. Writes, per checkpoint:
  embeddings-<name>.json     texts' count, dimension, long texts, library versions, the
                             model's STS-B test Spearman x100 with its own similarity function
  embeddings-<name>.f32.gz   the vectors, float32 little-endian, row after row, gzip

Run with the reference stack (torch 2.13.0, sentence-transformers, transformers, tokenizers):
  python test/goldens/make_embedding_goldens.py [checkpoint ...]
Weights are read from $SENTVEC_WEIGHTS (default ~/.cache/sentvec/weights; see weights/fetch.sh).
"""
import gzip
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import scipy.stats
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

HERE = Path(__file__).resolve().parent
STS = HERE.parent / "data" / "stsbenchmark" / "sts-test.csv"
WEIGHTS = Path(os.environ.get("SENTVEC_WEIGHTS", Path.home() / ".cache" / "sentvec" / "weights"))
CHECKPOINTS = ["all-MiniLM-L6-v2", "minilm-l12-random", "all-mpnet-base-v2", "multi-qa-mpnet-base-dot-v1-layout"]


def sts_pairs():
    pairs = []
    for line in STS.read_text(encoding="utf-8").split("\n"):
        if line:
            columns = line.split("\t")
            pairs.append((columns[5], columns[6], float(columns[4])))
    return pairs


def long_texts(sentences):
    """Texts of about a thousand words, built from the STS-B sentences, so every model truncates them
    (multi-qa-mpnet-base-dot-v1 at 512 word pieces)."""
    return [" ".join(sentences[start:start + 100]) for start in range(0, 800, 100)]


def main(names):
    torch.manual_seed(0)
    pairs = sts_pairs()
    sentences = [text for first, second, _ in pairs for text in (first, second)]
    longs = long_texts(sentences)
    for name in names:
        model = SentenceTransformer(str(WEIGHTS / name), device="cpu")
        model.eval()
        vectors = model.encode(sentences + longs, batch_size=32, convert_to_numpy=True).astype("<f4")
        sts = vectors[: len(sentences)]
        scores = model.similarity_pairwise(torch.from_numpy(sts[0::2]), torch.from_numpy(sts[1::2])).numpy()
        spearman = scipy.stats.spearmanr(scores, [score for _, _, score in pairs]).statistic
        longest = max(len(ids) for ids in model.tokenize(longs)["input_ids"])
        meta = {
            "checkpoint": name,
            "count": int(vectors.shape[0]),
            "dimension": int(vectors.shape[1]),
            "sts_sentences": len(sentences),
            "sts_sha256": hashlib.sha256("\n".join(sentences).encode("utf-8")).hexdigest(),
            "long_texts": longs,
            "long_text_tokens": int(longest),
            "max_seq_length": model.max_seq_length,
            "similarity": model.similarity_fn_name,
            "sts_spearman_x100": round(float(spearman) * 100, 4),
            "versions": {
                "torch": torch.__version__,
                "sentence_transformers": sentence_transformers.__version__,
                "transformers": transformers.__version__,
                "tokenizers": tokenizers.__version__,
            },
        }
        (HERE / f"embeddings-{name}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        with gzip.GzipFile(HERE / f"embeddings-{name}.f32.gz", "wb", mtime=0) as out:
            out.write(vectors.tobytes())
        print(f"{name}: {vectors.shape}, {model.similarity_fn_name}, Spearman x100 {meta['sts_spearman_x100']}")


if __name__ == "__main__":
    main(sys.argv[1:] or CHECKPOINTS)
