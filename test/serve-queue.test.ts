// The server's dynamic batching: requests share batches cut by the shared length rule, each gets
// its own vectors in its own order, and work of a client that went away never runs.
import test from 'tape';
import type { SentenceModel } from '../src/encoder.js';
import { CancelledError, EmbeddingQueue } from '../src/serve/queue.js';

/** A model whose vector for a sequence is [first id, length], recording every batch it runs. */
function recordingModel() {
  const batches: number[][] = [];
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const model = {
    async encodeTokenized(sequences: readonly Int32Array[]) {
      batches.push(sequences.map((ids) => ids[0]));
      await gate;
      return sequences.map((ids) => Float32Array.of(ids[0], ids.length));
    },
  };
  const hold = () => (gate = new Promise<void>((resolve) => (release = resolve)));
  return { model: model as unknown as SentenceModel, batches, hold, release: () => release() };
}

const sequence = (first: number, length: number) => Int32Array.from({ length }, (_, i) => (i === 0 ? first : 7));
const noObserver = { batchStarted() {}, batchFinished() {} };

test('requests waiting together are merged, sorted by length and answered in their own order', async (t) => {
  const { model, batches, hold, release } = recordingModel();
  const queue = new EmbeddingQueue(model, { maxBatchSize: 4, maxBatchTokens: 1000 }, noObserver);
  hold();
  // the first two requests fill the model's two batch slots; the two behind them wait and are batched together
  const first = queue.embed([sequence(1, 3)]);
  const busy = queue.embed([sequence(9, 3)]);
  const second = queue.embed([sequence(2, 9), sequence(3, 2)]);
  const third = queue.embed([sequence(4, 5), sequence(5, 1)]);
  release();
  t.deepEqual((await first).map((v) => Array.from(v)), [[1, 3]]);
  t.deepEqual((await second).map((v) => Array.from(v)), [[2, 9], [3, 2]], 'second request in its order');
  t.deepEqual((await third).map((v) => Array.from(v)), [[4, 5], [5, 1]], 'third request in its order');
  await busy;
  t.deepEqual(batches, [[1], [9], [5, 3, 4, 2]], 'one batch of both waiting requests, shortest first');
  t.equal(queue.depth, 0, 'nothing left waiting');
});

test('the token budget cuts batches', async (t) => {
  const { model, batches } = recordingModel();
  const queue = new EmbeddingQueue(model, { maxBatchSize: 32, maxBatchTokens: 10 }, noObserver);
  await queue.embed([sequence(1, 6), sequence(2, 6), sequence(3, 4)]);
  t.deepEqual(batches, [[3, 1], [2]], '4 + 6 tokens, then 6');
});

test('a cancelled request is rejected at once and its sequences never run', async (t) => {
  const { model, batches, hold, release } = recordingModel();
  const queue = new EmbeddingQueue(model, { maxBatchSize: 4, maxBatchTokens: 1000 }, noObserver);
  hold();
  const busy = [queue.embed([sequence(1, 3)]), queue.embed([sequence(9, 3)])];
  const abort = new AbortController();
  const dropped = queue.embed([sequence(2, 3), sequence(3, 3)], abort.signal);
  const kept = queue.embed([sequence(4, 3)]);
  abort.abort();
  await dropped.then(() => t.fail('resolved'), (error) => t.ok(error instanceof CancelledError, 'CancelledError'));
  release();
  await Promise.all([...busy, kept]);
  t.deepEqual(batches.flat().sort(), [1, 4, 9], 'only the other requests ran');
});

test('a request whose client left before it was queued is refused, not left pending', async (t) => {
  const { model, batches } = recordingModel();
  const queue = new EmbeddingQueue(model, { maxBatchSize: 4, maxBatchTokens: 1000 }, noObserver);
  const abort = new AbortController();
  abort.abort();
  await queue.embed([sequence(1, 3)], abort.signal).then(() => t.fail('resolved'), (error) => t.ok(error instanceof CancelledError, 'CancelledError'));
  t.deepEqual(batches, [], 'nothing ran');
});
