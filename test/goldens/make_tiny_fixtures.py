"""Writes the tiny random checkpoints under test/fixtures/tiny/ and their PyTorch goldens.

Each fixture is a 2-layer, 32-wide BERT (or MPNet) made with transformers from a fixed seed over a small
vocabulary cut from all-MiniLM-L6-v2's vocab.txt (specials, ASCII characters and their ##
continuations, the most frequent words), saved the way sentence-transformers saves it:
  bert-dense-prompts      Transformer, Pooling(mean), Dense(32→16, Tanh), Normalize; prompts
                          with a default prompt name
  bert-exclude-prompt     Transformer, Pooling(every mode, include_prompt false), Dense(no bias,
                          Identity); prompts, no default
  bert-cross-encoder      BertForSequenceClassification, num_labels 1 (CrossEncoder, Sigmoid)
  bert-cross-encoder-3    BertForSequenceClassification, num_labels 3 (CrossEncoder, Identity)
  mpnet-cross-encoder     MPNetForSequenceClassification, num_labels 1, over all-mpnet-base-v2's specials
  xlm-roberta-cross-encoder  XLMRobertaForSequenceClassification, num_labels 1, over the Unigram
                          tokenizer of xlm-roberta-sts (make_xlm_roberta_fixture.py, run first)
goldens.json beside each holds what sentence-transformers returns for the calls the tests make,
with the library versions. Run with the reference stack (torch, transformers, sentence-transformers):
  python test/goldens/make_tiny_fixtures.py
The vocabulary is read from $SENTVEC_WEIGHTS/all-MiniLM-L6-v2 (weights/fetch.sh).
"""
import json
import os
import shutil
from pathlib import Path

import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import CrossEncoder, SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer
from transformers import (
    BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast, MPNetConfig, MPNetForSequenceClassification,
    MPNetTokenizerFast, XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaTokenizerFast,
)

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "tiny"
WEIGHTS = Path(os.environ.get("SENTVEC_WEIGHTS", Path.home() / ".cache" / "sentvec" / "weights"))
WORDS = 1500
VERSIONS = {
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "sentence_transformers": sentence_transformers.__version__,
    "tokenizers": tokenizers.__version__,
}

TEXTS = [
    "A man is playing a guitar.",
    "The weather today is cold and grey, with rain coming in from the west later in the day.",
    "what is the capital of france?",
    "",
    "Paris is the capital and largest city of France; it has been a centre of finance, diplomacy, "
    "commerce, culture, fashion and science since the seventeenth century, and it is the home of many "
    "of the most visited museums and monuments in the world, which people from every country come to see.",
    "Zebras xylophone quixotic blorp!",
]
QUERY = "who wrote the book about the war?"
DOCUMENTS = [
    "The book about the war was written by a man from the north.",
    "A dog is running in the park.",
    "She wrote three books before she was thirty, and the first of them was about the war in her country.",
    "War and peace.",
    "",
    "The children played football in the street until it was dark, and then they went home for dinner.",
]
PAIRS = [[QUERY, document] for document in DOCUMENTS] + [
    ["a cat sat on the mat", "the cat is on the mat"],
    [TEXTS[4], TEXTS[1]],
]


def vocabulary(specials):
    """specials, then the ASCII characters, their ## continuations and the most frequent words."""
    lines = (WEIGHTS / "all-MiniLM-L6-v2" / "vocab.txt").read_text(encoding="utf-8").split("\n")
    ascii_chars = [w for w in lines if len(w) == 1 and w.isascii() and w.isprintable() and w != " "]
    continuations = [w for w in lines if w.startswith("##") and len(w) == 3 and w[2].isascii()]
    first_word = lines.index("the")
    words = [w for w in lines[first_word:] if not w.startswith("##") and w.isascii()][:WORDS]
    seen, vocab = set(), []
    for word in specials + ascii_chars + continuations + words:
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    return vocab


BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# all-mpnet-base-v2's added tokens, in its order
MPNET_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "[UNK]", "<mask>"]


def bert_config(vocab_size, **extra):
    return BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=64, type_vocab_size=2, initializer_range=0.2, **extra,
    )


def save_tokenizer(folder, vocab, base="all-MiniLM-L6-v2", tokenizer_class=BertTokenizerFast):
    """`base`'s tokenizer.json with the cut vocabulary and the special ids it gives."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = json.loads((WEIGHTS / base / "tokenizer.json").read_text(encoding="utf-8"))
    ids = {word: i for i, word in enumerate(vocab)}
    spec["model"]["vocab"] = ids
    spec["truncation"] = None
    spec["padding"] = None
    for token in spec["added_tokens"]:
        token["id"] = ids[token["content"]]
    processor = spec["post_processor"]
    if processor["type"] == "TemplateProcessing":
        for token in processor["special_tokens"].values():
            token["ids"] = [ids[t] for t in token["tokens"]]
    else:  # RobertaProcessing
        for key in ("cls", "sep"):
            processor[key][1] = ids[processor[key][0]]
    (folder / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    tokenizer = tokenizer_class(tokenizer_file=str(folder / "tokenizer.json"), do_lower_case=True, model_max_length=64)
    assert len(tokenizer) == len(vocab), (len(tokenizer), len(vocab))
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def fresh(name):
    folder = FIXTURES / name
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def rows(tensor):
    return [[float(x) for x in row] for row in tensor]


def sentence_fixture(name, vocab, seed, pooling_modes, include_prompt, dense, prompts, default_prompt_name, calls):
    folder = fresh(name)
    raw = folder / "raw"
    torch.manual_seed(seed)
    save_tokenizer(raw, vocab)
    BertModel(bert_config(len(vocab)), add_pooling_layer=False).save_pretrained(str(raw))
    transformer = Transformer(str(raw), max_seq_length=40)
    pooling = Pooling(32, pooling_mode=pooling_modes, include_prompt=include_prompt)
    modules = [transformer, pooling, Dense(in_features=pooling.get_sentence_embedding_dimension(), **dense)]
    if dense.get("out_features") == 16:
        modules.append(Normalize())
    model = SentenceTransformer(modules=modules, prompts=prompts, default_prompt_name=default_prompt_name, device="cpu")
    model.save(str(folder))
    shutil.rmtree(raw)
    for readme in folder.glob("README.md"):
        readme.unlink()
    model = SentenceTransformer(str(folder), device="cpu")
    goldens = {"versions": VERSIONS, "texts": TEXTS, "calls": []}
    for method, options in calls:
        vectors = getattr(model, method)(TEXTS, convert_to_numpy=True, **options)
        goldens["calls"].append({"method": method, "options": options, "vectors": rows(vectors)})
    (folder / "goldens.json").write_text(json.dumps(goldens, indent=1) + "\n")


def cross_fixture(name, vocab, seed, num_labels, architecture="bert"):
    folder = fresh(name)
    raw = folder / "raw"
    torch.manual_seed(seed)
    labels = {0: "contradiction", 1: "entailment", 2: "neutral"} if num_labels == 3 else {0: "LABEL_0"}
    label_config = dict(num_labels=num_labels, id2label=labels, label2id={v: k for k, v in labels.items()})
    if architecture == "bert":
        save_tokenizer(raw, vocab)
        BertForSequenceClassification(bert_config(len(vocab), **label_config)).save_pretrained(str(raw))
    elif architecture == "xlm-roberta":
        tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(FIXTURES / "xlm-roberta-sts" / "tokenizer.json"), model_max_length=40)
        tokenizer.save_pretrained(str(raw))
        config = XLMRobertaConfig(
            vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=42 + tokenizer.pad_token_id, type_vocab_size=1, pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, initializer_range=0.2, **label_config,
        )
        XLMRobertaForSequenceClassification(config).save_pretrained(str(raw))
    else:
        save_tokenizer(raw, vocab, "all-mpnet-base-v2", MPNetTokenizerFast)
        config = MPNetConfig(
            vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=66, initializer_range=0.2, **label_config,
        )
        MPNetForSequenceClassification(config).save_pretrained(str(raw))
    model = CrossEncoder(str(raw), max_length=40, device="cpu")
    model.save(str(folder))
    shutil.rmtree(raw)
    for readme in folder.glob("README.md"):
        readme.unlink()
    model = CrossEncoder(str(folder), device="cpu")
    goldens = {"versions": VERSIONS, "pairs": PAIRS, "query": QUERY, "documents": DOCUMENTS, "num_labels": num_labels}
    goldens["predict"] = model.predict(PAIRS, batch_size=3).tolist()
    goldens["logits"] = model.predict(PAIRS, activation_fn=torch.nn.Identity()).tolist()
    if num_labels == 1:
        goldens["rank"] = model.rank(QUERY, DOCUMENTS, top_k=4, return_documents=True)
        goldens["rank_all"] = model.rank(QUERY, DOCUMENTS)
    else:
        goldens["softmax"] = model.predict(PAIRS, apply_softmax=True).tolist()
    (folder / "goldens.json").write_text(json.dumps(goldens, indent=1) + "\n")


def main():
    vocab = vocabulary(BERT_SPECIALS)
    prompts = {"query": "query: ", "document": "passage: ", "classification": "Classify the topic of the text: "}
    sentence_fixture(
        "bert-dense-prompts", vocab, 1, "mean", True,
        {"out_features": 16, "bias": True, "activation_function": torch.nn.Tanh()},
        prompts, "classification",
        [
            ("encode", {}),
            ("encode", {"prompt_name": "query"}),
            ("encode", {"prompt": "Represent this sentence: "}),
            ("encode_query", {}),
            ("encode_document", {}),
            ("encode", {"truncate_dim": 8}),
            ("encode", {"truncate_dim": 8, "normalize_embeddings": True}),
        ],
    )
    sentence_fixture(
        "bert-exclude-prompt", vocab, 2, ["cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"], False,
        {"out_features": 24, "bias": False, "activation_function": torch.nn.Identity()},
        {"query": "query: a long instruction that takes up most of the tokens of a short text: ", "document": ""}, None,
        [
            ("encode", {}),
            ("encode_query", {}),
            ("encode_document", {}),
            ("encode", {"prompt": "Represent: "}),
        ],
    )
    cross_fixture("bert-cross-encoder", vocab, 3, 1)
    cross_fixture("bert-cross-encoder-3", vocab, 4, 3)
    cross_fixture("mpnet-cross-encoder", vocabulary(MPNET_SPECIALS), 5, 1, "mpnet")
    cross_fixture("xlm-roberta-cross-encoder", None, 6, 1, "xlm-roberta")


if __name__ == "__main__":
    main()
