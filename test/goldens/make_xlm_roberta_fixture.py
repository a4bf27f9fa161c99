"""Makes the tiny XLM-RoBERTa fixture test/fixtures/tiny/xlm-roberta-sts/ and its goldens.

1. A Unigram sentencepiece model (VOCAB pieces, nmt_nfkc normalization) trained on the STS-B
   test sentences, converted to tokenizer.json by transformers' XLMRobertaTokenizer (Precompiled
   normalizer, WhitespaceSplit + Metaspace, XLM-R's special tokens and pair template).
2. A random XLM-RoBERTa (2 layers, hidden 32, 4 heads, that vocabulary), seeded, saved with the
   tokenizer as a sentence-transformers folder: Transformer, mean Pooling, Normalize.
3. Goldens, from sentence-transformers on PyTorch (CPU, float32) over that folder:
   tokens-xlm-roberta-sts.json        ids (padding stripped) of every STS-B test sentence and
                                      every stress text (test/data/unicode-stress.json)
   embeddings-xlm-roberta-sts.json    texts (the first SENTENCES STS-B sentences, the stress
   embeddings-xlm-roberta-sts.f32.gz  texts, SPECIAL_TEXTS, long texts past max_seq_length), vectors
                                      float32 LE
4. Token goldens of the fixture's tokenizer.json with byte fallback on (byte_fallback_variant:
   the 256 <0xHH> pieces appended at BYTE_SCORE): tokens-xlm-roberta-sts-byte-fallback.json
5. Ids of the stress texts and EDGE_TEXTS through the fixture's tokenizer.json with other
   pre_tokenizer settings (PRE_TOKENIZER_VARIANTS, recorded in the file):
   tokens-xlm-roberta-sts-variants.json
6. Token goldens of the real XLM-R tokenizer.json weights/fetch.sh places in
   $SENTVEC_WEIGHTS/multilingual-e5-small-tokenizer (Hugging Face `tokenizers` itself, truncating
   at 512): tokens-multilingual-e5-small-tokenizer.json, same fields as tokens-xlm-roberta-sts.json

Run with the reference stack (torch, sentence-transformers, transformers, tokenizers, sentencepiece):
  python test/goldens/make_xlm_roberta_fixture.py
"""
import gzip
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import sentence_transformers
import sentencepiece
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer, models
from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

from make_token_goldens import HERE, STRESS, WEIGHTS, dump_ids, sts_sentences, token_ids

NAME = "xlm-roberta-sts"
FIXTURE = HERE.parent / "fixtures" / "tiny" / NAME
VOCAB = 600
MAX_SEQ_LENGTH = 128
SENTENCES = 300
# Special tokens spelled out in the text: a literal <pad> sits at padding_idx among the positions.
SPECIAL_TEXTS = ["The <pad> cat sat on the mat.", "<pad><pad> two pads open this one", "a <mask> b </s> c <s>"]
REAL_TOKENIZER = "multilingual-e5-small-tokenizer"
BYTE_SCORE = -20.0
EDGE_TEXTS = [" leading space", "trailing space ", "two  spaces   three", "<mask> first", "a<mask>b", " <s> x</s>y ",
              "\u00a0nbsp\u3000ideographic", "tab\there\nnewline", "", " "]
METASPACE = {"type": "Metaspace", "replacement": "\u2581"}
PRE_TOKENIZER_VARIANTS = {
    "metaspace-always": {**METASPACE, "prepend_scheme": "always", "split": True},
    "metaspace-first": {**METASPACE, "prepend_scheme": "first", "split": True},
    "metaspace-never": {**METASPACE, "prepend_scheme": "never", "split": True},
    "metaspace-no-split": {**METASPACE, "prepend_scheme": "always", "split": False},
    "metaspace-legacy": {**METASPACE, "add_prefix_space": True},
    "whitespace-split-first": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {**METASPACE, "prepend_scheme": "first", "split": True}]},
}
REAL_MAX_LENGTH = 512


def versions():
    return {
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "sentencepiece": sentencepiece.__version__,
    }


def train_tokenizer(sentences, scratch):
    """from_pretrained on a folder holding only sentencepiece.bpe.model runs the converter."""
    spm = Path(scratch) / "spm"
    spm.mkdir()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences), model_prefix=str(spm / "sentencepiece.bpe"), vocab_size=VOCAB, model_type="unigram",
        normalization_rule_name="nmt_nfkc", num_threads=1, minloglevel=2,
    )
    return XLMRobertaTokenizer.from_pretrained(str(spm))


def build_model(tokenizer, scratch):
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=MAX_SEQ_LENGTH + 2, type_vocab_size=1, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, initializer_range=0.2,
    )
    torch.manual_seed(0)
    hf = Path(scratch) / "hf"
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    transformer = models.Transformer(str(hf), max_seq_length=MAX_SEQ_LENGTH)
    pooling = models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")
    shutil.rmtree(FIXTURE, ignore_errors=True)
    model.save(str(FIXTURE))
    write_classic_layout()
    # The converted tokenizer.json is what sentvec reads; the sentencepiece model only made it.
    for leftover in [*FIXTURE.glob("*.model"), *FIXTURE.glob("README.md")]:
        leftover.unlink()
    # Written without indentation: most of it is the vocabulary and the base64 charsmap.
    tokenizer_json = FIXTURE / "tokenizer.json"
    tokenizer_json.write_text(json.dumps(json.loads(tokenizer_json.read_text(encoding="utf-8")), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def write_token_goldens(name, max_seq_length, pad_id, encode, sts, stress):
    header = {"checkpoint": name, "max_seq_length": max_seq_length, "pad_id": pad_id, "versions": versions(),
              "sts_count": len(sts), "sts_sha256": hashlib.sha256("\n".join(sts).encode("utf-8")).hexdigest(), "stress_texts": stress}
    body = json.dumps(header, ensure_ascii=False, indent=1)[:-2]
    body += ',\n "sts_ids": ' + dump_ids(encode(sts)) + ',\n "stress_ids": ' + dump_ids(encode(stress)) + "\n}\n"
    (HERE / f"tokens-{name}.json").write_text(body, encoding="utf-8")


def byte_fallback_variant(tokenizer_json):
    """The same edit test/xlm-roberta.test.ts makes."""
    variant = json.loads(tokenizer_json)
    variant["model"]["vocab"] += [[f"<0x{byte:02X}>", BYTE_SCORE] for byte in range(256)]
    variant["model"]["byte_fallback"] = True
    return json.dumps(variant)


def byte_fallback_goldens(sts, stress):
    variant = tokenizers.Tokenizer.from_str(byte_fallback_variant((FIXTURE / "tokenizer.json").read_text(encoding="utf-8")))
    variant.enable_truncation(MAX_SEQ_LENGTH)
    encode = lambda texts: [encoding.ids for encoding in variant.encode_batch(texts)]
    write_token_goldens(f"{NAME}-byte-fallback", MAX_SEQ_LENGTH, variant.token_to_id("<pad>"), encode, sts, stress)


def variant_goldens(stress):
    texts = stress + EDGE_TEXTS
    fixture = json.loads((FIXTURE / "tokenizer.json").read_text(encoding="utf-8"))
    variants = {}
    for name, pre_tokenizer in PRE_TOKENIZER_VARIANTS.items():
        variant = tokenizers.Tokenizer.from_str(json.dumps({**fixture, "pre_tokenizer": pre_tokenizer}))
        variant.enable_truncation(MAX_SEQ_LENGTH)
        variants[name] = {"pre_tokenizer": pre_tokenizer, "ids": [encoding.ids for encoding in variant.encode_batch(texts)]}
    out = {"max_seq_length": MAX_SEQ_LENGTH, "versions": versions(), "texts": texts, "variants": variants}
    (HERE / f"tokens-{NAME}-variants.json").write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def real_tokenizer_goldens(sts, stress):
    real = tokenizers.Tokenizer.from_file(str(WEIGHTS / REAL_TOKENIZER / "tokenizer.json"))
    real.enable_truncation(REAL_MAX_LENGTH)
    encode = lambda texts: [encoding.ids for encoding in real.encode_batch(texts)]
    write_token_goldens(REAL_TOKENIZER, REAL_MAX_LENGTH, real.token_to_id("<pad>"), encode, sts, stress)


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def write_classic_layout():
    """The module files in the layout sentence-transformers 2.x-5.x wrote, which published
    checkpoints have and sentence-transformers 6 still loads (main() reloads it from here)."""
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    write_json(FIXTURE / "modules.json", [{"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
                                          for i, (path, kind) in enumerate(modules)])
    write_json(FIXTURE / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    write_json(FIXTURE / "1_Pooling" / "config.json", {
        "word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False})
    # Normalize has no settings; git keeps no empty folder.
    shutil.rmtree(FIXTURE / "2_Normalize")


def main():
    sts = sts_sentences()
    stress = json.loads(STRESS.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        build_model(train_tokenizer(sts, scratch), scratch)
    model = SentenceTransformer(str(FIXTURE), device="cpu")
    model.eval()
    write_token_goldens(NAME, model.max_seq_length, model.tokenizer.pad_token_id, lambda texts: token_ids(model, texts), sts, stress)
    byte_fallback_goldens(sts, stress)
    variant_goldens(stress)
    real_tokenizer_goldens(sts, stress)

    longs = [" ".join(sts[start:start + 60]) for start in (0, 600)]
    texts = sts[:SENTENCES] + stress + SPECIAL_TEXTS + longs
    vectors = model.encode(texts, batch_size=16, convert_to_numpy=True).astype("<f4")
    meta = {"checkpoint": NAME, "count": len(texts), "dimension": int(vectors.shape[1]), "max_seq_length": model.max_seq_length,
            "long_text_tokens": max(len(ids) for ids in token_ids(model, longs)), "versions": versions(), "texts": texts}
    (HERE / f"embeddings-{NAME}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with gzip.GzipFile(HERE / f"embeddings-{NAME}.f32.gz", "wb", mtime=0) as out:
        out.write(vectors.tobytes())
    size = sum(path.stat().st_size for path in FIXTURE.rglob("*") if path.is_file())
    print(f"{NAME}: {size} bytes in {FIXTURE}, {len(texts)} embedding goldens, dimension {vectors.shape[1]}")


if __name__ == "__main__":
    main()
