// XLM-RoBERTa end to end: the Unigram tokenizer (Precompiled normalizer, Metaspace, Viterbi)
// against Hugging Face `tokenizers` on the tiny fixture and on a real 250k-piece XLM-R
// tokenizer.json, and the tiny random XLM-RoBERTa's vectors against sentence-transformers on
// every backend. Goldens and fixture: test/goldens/make_xlm_roberta_fixture.py.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import test from 'tape';
import { load } from '../src/index.js';
import type { BackendName } from '../src/backend/kernels.js';
import { Tokenizer, type TokenizerFiles } from '../src/tokenizer/index.js';
import { goldensDir, projectRoot, stsTestSentences, weightsRoot } from './fixtures.js';
import { agreement } from './goldens.js';
import { type TokenGoldens, readTokenizerFiles } from './tokenizer-files.js';

const FIXTURE = path.join(projectRoot, 'test', 'fixtures', 'tiny', 'xlm-roberta-sts');
const REAL_TOKENIZER = 'multilingual-e5-small-tokenizer';
const MAX_ABS = 1e-5;
/** The score make_xlm_roberta_fixture.py gives the byte pieces of its byte-fallback variant. */
const BYTE_SCORE = -20;
const SHOWN_MISMATCHES = 5;

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function compareTokens(t: test.Test, dir: string, name: string, extraFiles: TokenizerFiles = {}): void {
  const goldens = readJson<TokenGoldens>(path.join(goldensDir, `tokens-${name}.json`));
  const sts = stsTestSentences();
  t.equal(goldens.sts_sha256, createHash('sha256').update(sts.join('\n'), 'utf8').digest('hex'), `${name}: STS-B sentences hash`);
  t.deepEqual(goldens.stress_texts, readJson(path.join(projectRoot, 'test', 'data', 'unicode-stress.json')), `${name}: stress texts`);
  const started = performance.now();
  const tokenizer = Tokenizer.fromFiles({ ...readTokenizerFiles(dir), ...extraFiles }, dir);
  t.comment(`${name}: tokenizer built in ${(performance.now() - started).toFixed(0)} ms`);
  t.equal(tokenizer.padId, goldens.pad_id, 'pad id');
  const cases = [
    ...sts.map((text, i) => ({ text, expected: goldens.sts_ids[i] })),
    ...goldens.stress_texts.map((text, i) => ({ text, expected: goldens.stress_ids[i] })),
  ];
  const mismatches: string[] = [];
  for (const { text, expected } of cases) {
    const found = Array.from(tokenizer.encode(text, goldens.max_seq_length));
    if (JSON.stringify(found) !== JSON.stringify(expected)) {
      mismatches.push(`${JSON.stringify(text.length > 120 ? text.slice(0, 120) + '…' : text)}\n  expected ${JSON.stringify(expected)}\n  found    ${JSON.stringify(found)}`);
    }
  }
  for (const mismatch of mismatches.slice(0, SHOWN_MISMATCHES)) t.comment(mismatch);
  t.equal(mismatches.length, 0, `${name}: ids identical on all ${cases.length} texts (${(performance.now() - started).toFixed(0)} ms)`);
}

test('tiny XLM-RoBERTa fixture: Unigram ids match Hugging Face tokenizers', (t) => {
  compareTokens(t, FIXTURE, 'xlm-roberta-sts');
  t.end();
});

test('tiny fixture with byte fallback: unknown pieces become <0xHH> ids as in Hugging Face tokenizers', (t) => {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'tokenizer.json'), 'utf8'));
  json.model.vocab.push(...Array.from({ length: 256 }, (_, byte) => [`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, BYTE_SCORE]));
  json.model.byte_fallback = true;
  compareTokens(t, FIXTURE, 'xlm-roberta-sts-byte-fallback', { 'tokenizer.json': JSON.stringify(json) });
  t.end();
});

test('tiny fixture with other Metaspace / WhitespaceSplit settings: ids match Hugging Face tokenizers', (t) => {
  const goldens = readJson<{ max_seq_length: number; texts: string[]; variants: Record<string, { pre_tokenizer: unknown; ids: number[][] }> }>(
    path.join(goldensDir, 'tokens-xlm-roberta-sts-variants.json'));
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'tokenizer.json'), 'utf8'));
  for (const [name, { pre_tokenizer: preTokenizer, ids }] of Object.entries(goldens.variants)) {
    const tokenizer = Tokenizer.fromFiles({ ...readTokenizerFiles(FIXTURE), 'tokenizer.json': JSON.stringify({ ...json, pre_tokenizer: preTokenizer }) }, FIXTURE);
    const mismatches = goldens.texts.filter((text, i) => JSON.stringify(Array.from(tokenizer.encode(text, goldens.max_seq_length))) !== JSON.stringify(ids[i]));
    t.deepEqual(mismatches, [], `${name}: ids identical on all ${goldens.texts.length} texts`);
  }
  t.end();
});

test('real XLM-RoBERTa tokenizer.json (250,002 pieces): ids match Hugging Face tokenizers', (t) => {
  const dir = path.join(weightsRoot(), REAL_TOKENIZER);
  if (!fs.existsSync(path.join(dir, '.complete'))) throw new Error(`${dir} is missing: run bash weights/fetch.sh`);
  // The package ships tokenizer.json alone; XLM-R's tokenizer_config.json names <pad>.
  compareTokens(t, dir, REAL_TOKENIZER, { 'tokenizer_config.json': JSON.stringify({ pad_token: '<pad>' }) });
  t.end();
});

interface EmbeddingMeta {
  count: number;
  dimension: number;
  max_seq_length: number;
  long_text_tokens: number;
  texts: string[];
}

function embeddingGoldens(): { meta: EmbeddingMeta; vectors: Float32Array[] } {
  const meta = readJson<EmbeddingMeta>(path.join(goldensDir, 'embeddings-xlm-roberta-sts.json'));
  const bytes = zlib.gunzipSync(fs.readFileSync(path.join(goldensDir, 'embeddings-xlm-roberta-sts.f32.gz')));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (values.length !== meta.count * meta.dimension) throw new Error(`embeddings-xlm-roberta-sts.f32.gz holds ${values.length} floats, not ${meta.count}×${meta.dimension}`);
  return { meta, vectors: Array.from({ length: meta.count }, (_, i) => values.subarray(i * meta.dimension, (i + 1) * meta.dimension)) };
}

for (const backend of ['js', 'wasm', 'native'] as BackendName[]) {
  test(`tiny XLM-RoBERTa on ${backend}: vectors match sentence-transformers`, async (t) => {
    const { meta, vectors: expected } = embeddingGoldens();
    const model = await load(FIXTURE, { backend });
    try {
      t.equal(model.backend, backend, `runs on ${backend}`);
      t.equal(model.dimension, meta.dimension, `dimension ${meta.dimension}`);
      t.equal(model.maxSeqLength, meta.max_seq_length, `max_seq_length ${meta.max_seq_length}`);
      t.equal(Math.max(...meta.texts.map((text) => model.tokenize(text).length)), meta.long_text_tokens, 'long texts truncated alike');
      const vectors = await model.encode(meta.texts, { batchSize: 16 });
      const { maxAbs, minCosine, worst } = agreement(vectors, expected);
      t.ok(maxAbs <= MAX_ABS, `${backend}: ${vectors.length} texts, max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} (worst text ${worst}), min cosine ${minCosine.toFixed(8)}`);
    } finally {
      await model.close();
    }
  });
}

test('XLM-RoBERTa config errors name the file and the field', async (t) => {
  const config = readJson<Record<string, unknown>>(path.join(FIXTURE, 'config.json'));
  const files = Object.fromEntries(['modules.json', 'sentence_bert_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', '1_Pooling/config.json']
    .map((file) => [file, new Uint8Array(fs.readFileSync(path.join(FIXTURE, file)))]));
  const withConfig = (edit: Record<string, unknown>) => ({ ...files, 'config.json': new TextEncoder().encode(JSON.stringify({ ...config, ...edit })) });
  const message = async (edit: Record<string, unknown>): Promise<string> => {
    try {
      await (await load(withConfig(edit), { backend: 'js' })).close();
      return 'no error';
    } catch (error) {
      return (error as Error).message;
    }
  };
  t.match(await message({ max_position_embeddings: 2 }), /config\.json: max_position_embeddings 2 leaves no position after pad_token_id 1$/);
  t.match(await message({ pad_token_id: 5000 }), /config\.json: "pad_token_id" must be an integer in 0\.\.601, found 5000$/);
  t.end();
});
