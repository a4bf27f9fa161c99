// int8 on real weights, against sentence-transformers' float32 vectors: the quality bar llama.cpp's
// q8_0 sets (mean cosine to float32 ≥ 0.9995, 1st percentile ≥ 0.998, STS-B Spearman within 0.05
// points), on every STS-B test sentence through the fastest backend, a subset through wasm, and
// vectors that do not depend on the batch they run in.
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, stsTestPairs, type CheckpointName } from './fixtures.js';
import { cosine, embeddingGolden, spearman } from './goldens.js';

function cosines(vectors: Float32Array[], goldens: Float32Array[]): { mean: number; p1: number } {
  const values = vectors.map((vector, i) => cosine(vector, goldens[i])).sort((a, b) => a - b);
  return { mean: values.reduce((sum, value) => sum + value, 0) / values.length, p1: values[Math.floor(values.length / 100)] };
}

const MODELS: CheckpointName[] = ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'];

for (const name of MODELS) {
  test(`${name} int8: every STS-B test sentence within q8_0's quality of float32`, async (t) => {
    const golden = embeddingGolden(name);
    const model = await load(checkpointDir(name), { dtype: 'int8' });
    try {
      t.equal(model.dtype, 'int8', `runs int8 on ${model.backend}`);
      const pairs = stsTestPairs();
      const texts = golden.texts.slice(0, 2 * pairs.length);
      const vectors = await model.encode(texts, { batchSize: 32 });
      const { mean, p1 } = cosines(vectors, golden.vectors);
      t.ok(mean >= 0.9995, `mean cosine to float32 ${mean.toFixed(6)} ≥ 0.9995`);
      t.ok(p1 >= 0.998, `1st percentile cosine ${p1.toFixed(6)} ≥ 0.998`);
      const scores = pairs.map((_, i) => model.similarity(vectors[2 * i], vectors[2 * i + 1]));
      const ours = spearman(scores, pairs.map((pair) => pair.score)) * 100;
      t.ok(Math.abs(ours - golden.sts_spearman_x100) <= 0.05,
        `STS-B Spearman ×100: int8 ${ours.toFixed(4)}, float32 (sentence-transformers) ${golden.sts_spearman_x100.toFixed(4)}`);
      const alone = await model.encode(texts.slice(0, 24), { batchSize: 1 });
      const differing = alone.findIndex((vector, i) => vector.some((value, c) => !Object.is(value, vectors[i][c])));
      t.equal(differing, -1, 'the first 24 vectors, one per batch, equal those of batches of 32 to the bit');
    } finally {
      await model.close();
    }
  });
}

test('all-MiniLM-L6-v2 int8 on wasm: 64 STS-B sentences within q8_0\'s quality, as native computes them', async (t) => {
  const golden = embeddingGolden('all-MiniLM-L6-v2');
  const model = await load(checkpointDir('all-MiniLM-L6-v2'), { dtype: 'int8', backend: 'wasm' });
  const vectors = await model.encode(golden.texts.slice(0, 64), { batchSize: 16 });
  const { mean, p1 } = cosines(vectors, golden.vectors);
  t.ok(mean >= 0.9995 && p1 >= 0.998, `wasm int8: mean cosine ${mean.toFixed(6)}, 1st percentile ${p1.toFixed(6)}`);
  await model.close();
});

test('dtype: SENTVEC_DTYPE picks it, anything else is refused with the choices', async (t) => {
  const dir = checkpointDir('all-MiniLM-L6-v2');
  const saved = process.env.SENTVEC_DTYPE;
  try {
    process.env.SENTVEC_DTYPE = 'int8';
    const model = await load(dir, { backend: 'js', worker: false });
    t.equal(model.dtype, 'int8', 'SENTVEC_DTYPE=int8');
    await model.close();
    await load(dir, { dtype: 'fp16' as never }).then(() => t.fail('fp16 loaded'),
      (error: Error) => t.match(error.message, /dtype 'fp16' is not a precision sentvec runs \(fp32, int8\)/, error.message));
    process.env.SENTVEC_DTYPE = 'int4';
    await load(dir).then(() => t.fail('int4 loaded'),
      (error: Error) => t.match(error.message, /SENTVEC_DTYPE 'int4' is not a precision sentvec runs/, error.message));
  } finally {
    if (saved === undefined) delete process.env.SENTVEC_DTYPE;
    else process.env.SENTVEC_DTYPE = saved;
  }
});
