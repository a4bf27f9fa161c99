// Cross-encoders against sentence-transformers 6 CrossEncoder on PyTorch, through tiny random
// BertForSequenceClassification checkpoints (test/fixtures/tiny) with one and three labels and an
// MPNetForSequenceClassification and an XLMRobertaForSequenceClassification one, on every backend: predict() with the model's activation, with none, with softmax; rank().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { load, loadCrossEncoder, quantize, type TextPair } from '../src/index.js';
import { errorMessage } from './fixtures.js';
import { maxAbsDifference, tinyBackends, tinyDir, tinyFiles, tinyGolden, withJson } from './tiny-fixtures.js';

const MAX_ABS = 1e-5;

interface CrossGolden {
  pairs: TextPair[];
  query: string;
  documents: string[];
  num_labels: number;
  predict: number[] | number[][];
  logits: number[] | number[][];
  softmax?: number[][];
  rank?: { corpus_id: number; score: number; text: string }[];
  rank_all?: { corpus_id: number; score: number }[];
}

const rows = (scores: number[] | number[][]) => scores.map((score) => (Array.isArray(score) ? score : [score]));

for (const name of ['bert-cross-encoder', 'mpnet-cross-encoder', 'xlm-roberta-cross-encoder'] as const) test(`${name} (one label): predict and rank match CrossEncoder on every backend`, async (t) => {
  const golden = tinyGolden<CrossGolden>(name);
  for (const backend of await tinyBackends(t)) {
    const model = await loadCrossEncoder(tinyDir(name), { backend });
    try {
      t.equal(model.numLabels, 1, `${backend}: one label`);
      t.equal(model.activation, 'sigmoid', `${backend}: sigmoid, from config_sentence_transformers.json`);
      const scores = await model.predict(golden.pairs, { batchSize: 3 });
      const worst = maxAbsDifference(rows(scores), rows(golden.predict));
      t.ok(worst <= MAX_ABS, `${backend} predict: ${scores.length} pairs, max |Δ| ${worst.toExponential(2)} ≤ ${MAX_ABS}`);
      const logits = await model.predict(golden.pairs, { activation: 'identity' });
      const worstLogit = maxAbsDifference(rows(logits), rows(golden.logits));
      t.ok(worstLogit <= MAX_ABS, `${backend} logits: max |Δ| ${worstLogit.toExponential(2)} ≤ ${MAX_ABS}`);
      const single = await model.predict(golden.pairs[0]);
      t.ok(typeof single === 'number' && Math.abs(single - (golden.predict as number[])[0]) <= MAX_ABS, `${backend}: a single pair gives one number`);

      const ranked = await model.rank(golden.query, golden.documents, { topK: 4, returnDocuments: true });
      t.deepEqual(ranked.map((entry) => [entry.corpusId, entry.text]), golden.rank!.map((entry) => [entry.corpus_id, entry.text]),
        `${backend} rank(topK 4, returnDocuments): order ${ranked.map((entry) => entry.corpusId).join(', ')}`);
      const all = await model.rank(golden.query, golden.documents);
      t.deepEqual(all.map((entry) => entry.corpusId), golden.rank_all!.map((entry) => entry.corpus_id), `${backend} rank(): every document, same order`);
      t.notOk('text' in all[0], `${backend}: no text unless returnDocuments`);
      const worstRank = maxAbsDifference(all.map((entry) => [entry.score]), golden.rank_all!.map((entry) => [entry.score]));
      t.ok(worstRank <= MAX_ABS, `${backend} rank scores: max |Δ| ${worstRank.toExponential(2)} ≤ ${MAX_ABS}`);
    } finally {
      await model.close();
    }
  }
});

test('bert-cross-encoder-3 (three labels): predict, logits and softmax match CrossEncoder on every backend', async (t) => {
  const golden = tinyGolden<CrossGolden>('bert-cross-encoder-3');
  for (const backend of await tinyBackends(t)) {
    const model = await loadCrossEncoder(tinyDir('bert-cross-encoder-3'), { backend });
    try {
      t.deepEqual([model.numLabels, model.activation, model.labels], [3, 'identity', ['contradiction', 'entailment', 'neutral']],
        `${backend}: three labels, identity, id2label`);
      for (const [name, options, expected] of [
        ['predict', {}, golden.predict],
        ['softmax', { applySoftmax: true }, golden.softmax!],
      ] as const) {
        const scores = await model.predict(golden.pairs, options);
        const worst = maxAbsDifference(rows(scores), rows(expected));
        t.ok(worst <= MAX_ABS, `${backend} ${name}: ${scores.length}×3, max |Δ| ${worst.toExponential(2)} ≤ ${MAX_ABS}`);
      }
      t.equal(await errorMessage(model.rank('q', ['d'])), 'Error: rank() needs a model with one label; this one has 3: score pairs with predict()');
    } finally {
      await model.close();
    }
  }
});

test('cross-encoders and sentence models are each refused by the other loader, with the right one named', async (t) => {
  t.match(await errorMessage(load(tinyDir('bert-cross-encoder'), { backend: 'js' })),
    /config_sentence_transformers\.json: this is a cross-encoder \(model_type CrossEncoder\); load it with loadCrossEncoder\(\)/);
  const files = tinyFiles('bert-cross-encoder');
  const { 'modules.json': _, 'config_sentence_transformers.json': __, ...older } = files;
  t.match(await errorMessage(load(older, { backend: 'js' })),
    /config\.json: a BertForSequenceClassification checkpoint is a cross-encoder; load it with loadCrossEncoder\(\)/);
  t.match(await errorMessage(loadCrossEncoder(tinyDir('bert-dense-prompts'), { backend: 'js' })),
    /model_type "SentenceTransformer" is not a cross-encoder; load it with load\(\)/);
  const relu = withJson(files, 'config_sentence_transformers.json', (settings) => (settings.activation_fn = 'torch.nn.modules.activation.ReLU'));
  t.match(await errorMessage(loadCrossEncoder(relu, { backend: 'js' })),
    /activation_fn "torch\.nn\.modules\.activation\.ReLU" is not supported \(supported: torch\.nn\.modules\.activation\.Sigmoid, /);
  // a sentence-transformers 4/5 folder: no modules.json, the activation in config.json
  const v5 = withJson(older, 'config.json', (config) => (config.sentence_transformers = { activation_fn: 'torch.nn.modules.linear.Identity' }));
  const model = await loadCrossEncoder(v5, { backend: 'js' });
  t.equal(model.activation, 'identity', 'config.json sentence_transformers.activation_fn is read');
  const golden = tinyGolden<CrossGolden>('bert-cross-encoder');
  const worst = maxAbsDifference(rows(await model.predict(golden.pairs)), rows(golden.logits));
  t.ok(worst <= MAX_ABS, `its scores are the logits: max |Δ| ${worst.toExponential(2)}`);
  const three = withJson(files, 'config.json', (config) => (config.id2label = { 0: 'a', 1: 'b', 2: 'c' }));
  t.match(await errorMessage(loadCrossEncoder(three, { backend: 'js' })), /classifier\.weight/, 'id2label that disagrees with the classifier names the tensor');
});

test('a sentvec quantize folder of a cross-encoder scores as loadCrossEncoder(…, { dtype: int8 }), bit for bit', async (t) => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-cross-')), 'int8');
  await quantize(tinyDir('bert-cross-encoder'), out);
  const golden = tinyGolden<CrossGolden>('bert-cross-encoder');
  const quantized = await loadCrossEncoder(out, { backend: 'js' });
  const int8 = await loadCrossEncoder(tinyDir('bert-cross-encoder'), { backend: 'js', dtype: 'int8' });
  t.equal(quantized.dtype, 'int8', 'runs int8');
  t.deepEqual(await quantized.predict(golden.pairs), await int8.predict(golden.pairs), `${golden.pairs.length} pairs, same scores`);
  fs.rmSync(path.dirname(out), { recursive: true });
});
