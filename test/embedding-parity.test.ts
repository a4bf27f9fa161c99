// sentvec's vectors against sentence-transformers on PyTorch, same weights, same texts: every
// STS-B test sentence and texts past max_seq_length through the fastest backend here and, for a
// BERT and an MPNet checkpoint, through the WASM backend; a subset through the TypeScript
// reference.
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, CHECKPOINTS, stsTestPairs, type CheckpointName } from './fixtures.js';
import { agreement, embeddingGolden, spearman } from './goldens.js';

const MAX_ABS = 1e-4;
const MIN_COSINE = 0.99999;

/** Reference-backend subset: the first sentences and, for the small models, one long text. */
const REFERENCE_SUBSET: Record<CheckpointName, { sentences: number; longTexts: number }> = {
  'all-MiniLM-L6-v2': { sentences: 24, longTexts: 1 },
  'minilm-l12-random': { sentences: 16, longTexts: 1 },
  'all-mpnet-base-v2': { sentences: 6, longTexts: 0 },
  'multi-qa-mpnet-base-dot-v1-layout': { sentences: 6, longTexts: 0 },
};

for (const name of CHECKPOINTS) {
  test(`${name}: every STS-B test sentence and long texts match sentence-transformers`, async (t) => {
    const golden = embeddingGolden(name);
    const model = await load(checkpointDir(name));
    t.notEqual(model.backend, 'js', `a compiled backend runs the full set (found ${model.backend})`);
    t.equal(model.dimension, golden.dimension, `dimension ${model.dimension}`);
    t.equal(model.maxSeqLength, golden.max_seq_length, `max_seq_length ${model.maxSeqLength}`);
    t.equal(model.similarityFunction, golden.similarity, `similarity ${model.similarityFunction}`);
    const longest = Math.max(...golden.long_texts.map((text) => model.tokenize(text).length));
    t.equal(longest, golden.long_text_tokens, `long texts truncated to ${longest} tokens`);
    t.equal(golden.long_text_tokens, golden.max_seq_length, 'the long texts reach max_seq_length');

    const vectors = await model.encode(golden.texts, { batchSize: 32 });
    const { maxAbs, minCosine, worst } = agreement(vectors, golden.vectors);
    t.ok(maxAbs <= MAX_ABS, `${model.backend}: ${vectors.length} texts, max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} (worst text ${worst})`);
    t.ok(minCosine >= MIN_COSINE, `${model.backend}: min cosine ${minCosine.toFixed(8)} ≥ ${MIN_COSINE}`);

    const pairs = stsTestPairs();
    const scores = pairs.map((_, i) => model.similarity(vectors[2 * i], vectors[2 * i + 1]));
    const ours = spearman(scores, pairs.map((pair) => pair.score)) * 100;
    t.ok(Math.abs(ours - golden.sts_spearman_x100) < 0.01,
      `STS-B test Spearman ×100 (${golden.similarity}): sentvec ${ours.toFixed(4)}, sentence-transformers ${golden.sts_spearman_x100.toFixed(4)}`);
  });

  test(`${name}: the reference backend matches sentence-transformers on a subset`, async (t) => {
    const golden = embeddingGolden(name);
    const model = await load(checkpointDir(name), { backend: 'js' });
    const subset = REFERENCE_SUBSET[name];
    const indices = [
      ...Array.from({ length: subset.sentences }, (_, i) => i),
      ...Array.from({ length: subset.longTexts }, (_, i) => golden.sts_sentences + i),
    ];
    const vectors = await model.encode(indices.map((i) => golden.texts[i]), { batchSize: 8 });
    const { maxAbs, minCosine, worst } = agreement(vectors, golden.vectors, indices);
    t.ok(maxAbs <= MAX_ABS, `js: ${vectors.length} texts, max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} (worst text ${worst})`);
    t.ok(minCosine >= MIN_COSINE, `js: min cosine ${minCosine.toFixed(8)} ≥ ${MIN_COSINE}`);
  });
}

// What runs where no addon loads (no compiler, edge runtimes) must give the same vectors.
for (const name of ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'] as const) {
  test(`${name}: every STS-B test sentence and long texts through the WASM backend match sentence-transformers`, async (t) => {
    const golden = embeddingGolden(name);
    const model = await load(checkpointDir(name), { backend: 'wasm' });
    t.equal(model.backend, 'wasm', 'the WASM backend runs');
    const vectors = await model.encode(golden.texts, { batchSize: 32 });
    const { maxAbs, minCosine, worst } = agreement(vectors, golden.vectors);
    t.ok(maxAbs <= MAX_ABS, `wasm: ${vectors.length} texts, max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} (worst text ${worst})`);
    t.ok(minCosine >= MIN_COSINE, `wasm: min cosine ${minCosine.toFixed(8)} ≥ ${MIN_COSINE}`);
  });
}
