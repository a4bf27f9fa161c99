"""Writes test/data/hub-cache-python/: a hub cache written by huggingface_hub itself.

A tiny sentence-transformers BERT (2 layers, 32 wide, a 110-token vocab.txt, seeded random weights)
is served by the loopback hub (dist/test/hub-serve.js) and fetched with huggingface_hub's
snapshot_download, so every link, ref and blob name in the fixture is the client's own. Run from
the project root after a build, in a venv with `huggingface_hub safetensors numpy`:

    python test/hub-interop/make_python_cache.py
"""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
from safetensors.numpy import save_file

REPO = "sentvec-tests/tiny-bert"
OUT = os.path.join("test", "data", "hub-cache-python")
C, LAYERS, HEADS, FFN, POSITIONS = 32, 2, 4, 64, 64

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "a", "man", "woman", "is", "playing", "guitar", "harp", "dog", "runs", "cat", "sleeps", "on", "mat", "hello", "world"]
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
VOCAB = SPECIAL + list(".,!?'") + WORDS + LETTERS + ["##" + letter for letter in LETTERS] + [str(d) for d in range(10)] + ["##s", "##ing", "##ed"]


def tiny_model(folder):
    rng = np.random.default_rng(20261202)
    normal = lambda *shape: (rng.standard_normal(shape) * 0.2).astype(np.float32)
    tensors = {
        "embeddings.word_embeddings.weight": normal(len(VOCAB), C),
        "embeddings.position_embeddings.weight": normal(POSITIONS, C),
        "embeddings.token_type_embeddings.weight": normal(2, C),
        "embeddings.LayerNorm.weight": np.ones(C, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(C, np.float32),
    }
    for layer in range(LAYERS):
        prefix = f"encoder.layer.{layer}."
        for name, rows, cols in [("attention.self.query", C, C), ("attention.self.key", C, C), ("attention.self.value", C, C),
                                 ("attention.output.dense", C, C), ("intermediate.dense", FFN, C), ("output.dense", C, FFN)]:
            tensors[f"{prefix}{name}.weight"] = normal(rows, cols)
            tensors[f"{prefix}{name}.bias"] = normal(rows)
        for name in ["attention.output.LayerNorm", "output.LayerNorm"]:
            tensors[f"{prefix}{name}.weight"] = np.ones(C, np.float32)
            tensors[f"{prefix}{name}.bias"] = np.zeros(C, np.float32)
    os.makedirs(os.path.join(folder, "1_Pooling"))
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    files = {
        "config.json": {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": C, "num_hidden_layers": LAYERS,
                        "num_attention_heads": HEADS, "intermediate_size": FFN, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
                        "max_position_embeddings": POSITIONS, "type_vocab_size": 2, "vocab_size": len(VOCAB), "pad_token_id": 0,
                        "position_embedding_type": "absolute"},
        "tokenizer_config.json": {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": POSITIONS},
        "special_tokens_map.json": {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"},
        "modules.json": [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                         {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                         {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
        "1_Pooling/config.json": {"word_embedding_dimension": C, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
                                  "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False},
        "sentence_bert_config.json": {"max_seq_length": POSITIONS, "do_lower_case": False},
        "config_sentence_transformers.json": {"similarity_fn_name": "cosine"},
    }
    for name, value in files.items():
        with open(os.path.join(folder, name), "w") as out:
            json.dump(value, out, indent=2)
    with open(os.path.join(folder, "vocab.txt"), "w") as out:
        out.write("".join(token + "\n" for token in VOCAB))


def main():
    with tempfile.TemporaryDirectory() as folder:
        tiny_model(folder)
        server = subprocess.Popen(["node", "dist/test/hub-serve.js", f"{REPO}={folder}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            endpoint = server.stdout.readline().strip()
            shutil.rmtree(OUT, ignore_errors=True)
            env = dict(os.environ, HF_ENDPOINT=endpoint, HF_HUB_DISABLE_TELEMETRY="1")
            # HF_ENDPOINT is read when huggingface_hub is imported, so the download runs in a child
            subprocess.run(["python", "-c", f"from huggingface_hub import snapshot_download; print(snapshot_download({REPO!r}, cache_dir={OUT + '/hub'!r}))"],
                           env=env, check=True)
        finally:
            server.stdin.close()
            server.wait()


if __name__ == "__main__":
    main()
