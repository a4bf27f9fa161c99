"""Writes the pair token goldens test/tokenizer-pairs.test.ts compares Tokenizer.encodePair against.

A pair is encoded as sentence-transformers' CrossEncoder does it: the checkpoint's transformers
tokenizer (Hugging Face `tokenizers` underneath) called on a batch [(a, b)] with
truncation="longest_first" and max_length, here with return_token_type_ids=True so every checkpoint reports its type ids.
Texts are referred to by index into TEXTS = the STS-B test sentences in file order (sentence1,
sentence2 of each pair; as in make_token_goldens.py) followed by test/data/unicode-stress.json.
The cases (see cases() below):
  - the first STS_PAIRS STS-B pairs at the checkpoint's max_seq_length
  - SWEEP_PAIRS STS-B pairs at every max_length from the special tokens up, then a few larger:
    one side truncated, both, odd and even budgets, budget 0
  - texts paired with themselves at odd budgets (a tie: B keeps the odd id)
  - consecutive stress texts, and the longest stress texts with short texts and with each other
Writes, per checkpoint, pair-tokens-<name>.json:
  checkpoint, versions           what made the goldens
  texts_count, texts_sha256      TEXTS by count and hash of "\\n".join
  num_special_tokens             ids the pair template adds
  no_truncation_below            max_lengths under the special tokens at which the tokenizer does
                                 not truncate at all (sentvec refuses them instead)
  cases                          [a, b, max_length, ids, type_ids as a string of digits]
  fallback_differs               {case index: [ids, type_ids]} where the tokenizer transformers
                                 builds from vocab.txt (tokenizer.json hidden) gives others

Run with the reference stack (transformers, tokenizers):
  python test/goldens/make_pair_token_goldens.py [checkpoint ...]
Weights are read from $SENTVEC_WEIGHTS (default ~/.cache/sentvec/weights; see weights/fetch.sh).
"""
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import tokenizers
import transformers
from transformers import AutoTokenizer

from make_token_goldens import HERE, STRESS, WEIGHTS, dump_ids, sts_sentences, without_tokenizer_json

CHECKPOINTS = ["all-MiniLM-L6-v2", "all-mpnet-base-v2"]
STS_PAIRS = 200
SWEEP_PAIRS = 40
SWEEP_EXTRA = [15, 16, 31, 32, 64]
BATCH = 64


def cases(texts, sts_count, specials, max_seq_length):
    """[a, b, max_length] triples."""
    stress = range(sts_count, len(texts))
    longest = sorted(stress, key=lambda i: -len(texts[i]))[:4]
    out = [[2 * i, 2 * i + 1, max_seq_length] for i in range(STS_PAIRS)]
    step = sts_count // 2 // SWEEP_PAIRS
    for p in range(SWEEP_PAIRS):
        a, b = 2 * p * step, 2 * p * step + 1
        for length in list(range(specials, specials + 13)) + [specials + extra for extra in SWEEP_EXTRA]:
            out.append([a, b, length] if p % 2 == 0 else [b, a, length])
    for i in range(0, 40, 2):
        for budget in (1, 3, 7, 9):
            out.append([i, i, specials + budget])
    for j in stress:
        out.append([j, sts_count + (j - sts_count + 1) % len(stress), max_seq_length])
    for j in longest:
        for other in [0, 1, *longest[:2]]:
            for length in (specials, specials + 9, specials + 10, max_seq_length - 1):
                out.append([j, other, length])
                out.append([other, j, length])
    return out


def encode(tokenizer, texts, triples):
    rows = []
    for start in range(0, len(triples), BATCH):
        for a, b, length in triples[start:start + BATCH]:
            # A batch of pairs, as CrossEncoder passes them: a single call would drop an empty b.
            encoding = tokenizer([[texts[a], texts[b]]], truncation="longest_first", max_length=length, return_token_type_ids=True)
            rows.append([encoding["input_ids"][0], "".join(map(str, encoding["token_type_ids"][0]))])
    return rows


def main(names):
    texts = sts_sentences() + json.loads(STRESS.read_text(encoding="utf-8"))
    sts_count = len(sts_sentences())
    for name in names:
        folder = WEIGHTS / name
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        max_seq_length = json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
        specials = tokenizer.num_special_tokens_to_add(pair=True)
        triples = cases(texts, sts_count, specials, max_seq_length)
        rows = encode(tokenizer, texts, triples)
        for (a, b, length), (ids, _) in zip(triples, rows):
            if len(ids) > length:
                raise SystemExit(f"{name}: case {a} {b} {length} gave {len(ids)} ids")
        no_truncation_below = [length for length in range(specials)
                               if len(encode(tokenizer, texts, [[0, 1, length]])[0][0]) > length]
        with tempfile.TemporaryDirectory() as scratch:
            fallback = AutoTokenizer.from_pretrained(str(without_tokenizer_json(folder, scratch)))
            fallback_differs = {str(i): found for i, (found, want) in enumerate(zip(encode(fallback, texts, triples), rows)) if found != want}
        header = {
            "checkpoint": name,
            "versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
            "texts_count": len(texts),
            "texts_sha256": hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest(),
            "num_special_tokens": specials,
            "no_truncation_below": no_truncation_below,
            "fallback_differs": fallback_differs,
        }
        body = json.dumps(header, ensure_ascii=False, indent=1)[:-2]
        body += ',\n "cases": ' + dump_ids([[a, b, length, ids, types] for (a, b, length), (ids, types) in zip(triples, rows)]) + "\n}\n"
        out = HERE / f"pair-tokens-{name}.json"
        out.write_text(body, encoding="utf-8")
        print(f"{name}: {len(triples)} pairs, {len(fallback_differs)} differ without tokenizer.json, "
              f"no truncation below {no_truncation_below} -> {out}")


if __name__ == "__main__":
    main(sys.argv[1:] or CHECKPOINTS)
