// The shared batching rule: shortest first, stable among equal lengths, cut by count and tokens.
import test from 'tape';
import { lengthSortedBatches } from '../src/batching.js';

test('batches by count alone are the length order cut every maxBatchSize', (t) => {
  const lengths = [5, 3, 9, 3, 1, 7, 5];
  t.deepEqual(lengthSortedBatches(lengths, { maxBatchSize: 3 }), [[4, 1, 3], [0, 6, 5], [2]], 'stable sort, cut by 3');
  t.deepEqual(lengthSortedBatches([], { maxBatchSize: 3 }), [], 'nothing in, no batch');
  t.end();
});

test('a token budget closes a batch before it would overflow; a longer sequence runs alone', (t) => {
  const lengths = [4, 4, 4, 20, 4];
  t.deepEqual(lengthSortedBatches(lengths, { maxBatchSize: 8, maxBatchTokens: 10 }), [[0, 1], [2, 4], [3]]);
  const batches = lengthSortedBatches(Array.from({ length: 100 }, (_, i) => 1 + (i * 37) % 50), { maxBatchSize: 16, maxBatchTokens: 200 });
  t.deepEqual(batches.flat().sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i), 'every index once');
  t.ok(batches.every((batch) => batch.length <= 16), 'at most 16 per batch');
  t.end();
});

test('limits that cannot batch anything are refused', (t) => {
  t.throws(() => lengthSortedBatches([1], { maxBatchSize: 0 }), /maxBatchSize must be a positive integer/);
  t.throws(() => lengthSortedBatches([1], { maxBatchSize: 1, maxBatchTokens: 0 }), /maxBatchTokens must be at least 1/);
  t.end();
});
