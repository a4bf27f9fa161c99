// Work per call is bounded by the model, not by the input: a text stops being tokenized once it
// has max_seq_length tokens (with the same ids as tokenizing all of it), a batch never holds
// more than TOKENS_PER_BATCH tokens whatever batchSize says, and a huge batch packs without
// overflowing the call stack.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { SentenceModel, TOKENS_PER_BATCH } from '../src/encoder.js';
import { packedBatch } from '../src/models/transformer.js';
import type { BatchRunner } from '../src/runner.js';
import { Tokenizer } from '../src/tokenizer/index.js';
import { checkpointDir, stsTestSentences } from './fixtures.js';

function tokenizerOf(dir: string): Tokenizer {
  return Tokenizer.fromFiles({ 'tokenizer.json': fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8') }, dir);
}

/** The first maxLength ids of `text` the slow way: every token of it, then truncated. */
function truncatedByHand(tokenizer: Tokenizer, text: string, maxLength: number): number[] {
  const all = Array.from(tokenizer.encode(text, 1e9));
  return all.length <= maxLength ? all : [...all.slice(0, maxLength - 1), all[all.length - 1]];
}

test('a long text gives the ids of tokenizing all of it, truncated', (t) => {
  const sentences = stsTestSentences();
  for (const name of ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'] as const) {
    const tokenizer = tokenizerOf(checkpointDir(name));
    const texts = [
      sentences.join(' '),
      sentences.join('\n'),
      sentences.slice(0, 900).join('\t \u00a0'),
      // CJK, accents, a final sigma right before a cut, emoji, and runs without whitespace
      sentences.map((s, i) => (i % 3 === 0 ? `${s} 日本語のテキスト ΟΔΟΣ Ａｃｃｅｎｔé 👍🏽` : s.replace(/ /g, i % 2 ? '' : '  '))).join(' '),
    ];
    for (const maxLength of [3, 128, 384, 512]) {
      const differing = texts.filter((text) =>
        JSON.stringify(Array.from(tokenizer.encode(text, maxLength))) !== JSON.stringify(truncatedByHand(tokenizer, text, maxLength)));
      t.equal(differing.length, 0, `${name}, max ${maxLength}: ${texts.length} long texts give identical ids`);
    }
  }
  t.end();
});

test('tokenizing a 10 MB text takes time bounded by max_seq_length', (t) => {
  const tokenizer = tokenizerOf(checkpointDir('all-MiniLM-L6-v2'));
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(230_000);
  const start = performance.now();
  const ids = tokenizer.encode(text, 256);
  const ms = performance.now() - start;
  t.equal(ids.length, 256, '256 ids');
  t.ok(ms < 400, `${text.length} characters in ${ms.toFixed(0)} ms (all of it takes over a second)`);
  t.end();
});

test('a batch never holds more than TOKENS_PER_BATCH tokens, whatever batchSize says', async (t) => {
  const tokenizer = tokenizerOf(checkpointDir('all-MiniLM-L6-v2'));
  const batches: number[][] = [];
  const runner: BatchRunner = {
    backend: 'js',
    hiddenSize: 2,
    maxTokens: 512,
    dtype: 'fp32',
    run: async (sequences) => {
      batches.push(sequences.map((sequence) => sequence.length));
      return sequences.map((sequence) => Float32Array.of(sequence.length, 0));
    },
    close: async () => {},
  };
  const model = new SentenceModel(runner, tokenizer, {
    head: { kind: 'sentence', pooling: ['mean'], includePrompt: true, steps: [] }, similarity: 'cosine', lowercase: false, prompts: {},
  }, 256);
  const sentences = stsTestSentences();
  const texts = Array.from({ length: 130_000 }, (_, i) => sentences[i % sentences.length]);
  texts[7] = sentences.join(' ');  // one text at max_seq_length
  const vectors = await model.encode(texts, { batchSize: 1e9 });
  const largest = Math.max(...batches.map((lengths) => lengths.reduce((sum, length) => sum + length, 0)));
  t.ok(largest <= TOKENS_PER_BATCH, `${batches.length} batches, the largest ${largest} tokens`);
  t.equal(vectors[7][0], 256, 'vectors come back in input order');
  t.equal(vectors.length, texts.length, 'one vector per text');
  t.doesNotThrow(() => packedBatch(Array.from({ length: 300_000 }, () => Int32Array.of(101, 102))), 'packing 300,000 sequences');
});
