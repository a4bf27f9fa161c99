// A sentence's vector depends on its own tokens only: not on the batch size, on which other
// sentences share its batch, on how much padding they bring, or on concurrent encode calls.
import test from 'tape';
import { load } from '../src/index.js';
import { availableBackends } from '../src/backend/index.js';
import { checkpointDir, stsTestSentences, type CheckpointName } from './fixtures.js';

const texts = stsTestSentences().slice(0, 40);
// a long text in the mix forces heavy padding on whichever batch holds it
texts.push(stsTestSentences().slice(100, 130).join(' '));

function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((vector, i) => vector.forEach((x, c) => (worst = Math.max(worst, Math.abs(x - b[i][c])))));
  return worst;
}

const CASES: CheckpointName[] = ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'];

test('vectors do not depend on batch composition, on every backend', async (t) => {
  const backends = (await availableBackends()).filter((k) => k.name !== 'js');
  for (const name of CASES) {
    for (const backend of backends.map((k) => k.name)) {
      const model = await load(checkpointDir(name), { backend });
      const alone = await Promise.all(texts.map(async (text) => (await model.encode([text]))[0]));
      for (const batchSize of [3, 16, 64]) {
        const batched = await model.encode(texts, { batchSize });
        t.equal(maxDifference(batched, alone), 0, `${name} ${backend}: batch ${batchSize} equals one at a time`);
      }
      const reversed = (await model.encode([...texts].reverse(), { batchSize: 16 })).reverse();
      t.equal(maxDifference(reversed, alone), 0, `${name} ${backend}: reversed input order`);
      const concurrent = await Promise.all([0, 1, 2].map(() => model.encode(texts, { batchSize: 8 })));
      concurrent.forEach((vectors, i) => t.equal(maxDifference(vectors, alone), 0, `${name} ${backend}: concurrent call ${i}`));
    }
  }
});
