// MPNet's position arithmetic against what transformers computes in PyTorch: relative position
// buckets for every offset a 1024-token input has (the log boundaries n = 16, 32, 64, 128 are
// where float32 and float64 disagree), and position ids around padding and literal pad tokens.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { mpnetPositionIds, relativePositionBucket } from '../src/models/mpnet.js';
import { goldensDir } from './fixtures.js';

const golden = JSON.parse(fs.readFileSync(path.join(goldensDir, 'mpnet-relative-buckets.json'), 'utf8'));

test('relative position buckets equal MPNetEncoder.relative_position_bucket', (t) => {
  const mismatches: string[] = [];
  golden.buckets.forEach((expected: number, i: number) => {
    const relative = golden.relative_from + i;
    const found = relativePositionBucket(relative, 32);
    if (found !== expected) mismatches.push(`${relative}: ${found} ≠ ${expected}`);
  });
  t.deepEqual(mismatches, [], `${golden.buckets.length} relative positions compared`);
  for (const n of [16, 32, 64, 128]) {
    t.equal(relativePositionBucket(-n, 32), golden.buckets[-n - golden.relative_from], `boundary ${-n}`);
    t.equal(relativePositionBucket(n, 32), golden.buckets[n - golden.relative_from], `boundary ${n}`);
  }
  t.end();
});

test('position ids equal create_position_ids_from_input_ids, literal pad tokens included', (t) => {
  const rows: number[][] = golden.input_ids;
  const B = rows.length;
  const T = rows[0].length;
  const found = mpnetPositionIds(Int32Array.from(rows.flat()), new Int32Array(B).fill(T), 1);
  t.deepEqual(Array.from(found), golden.position_ids.flat(), `${B}×${T} position ids`);
  t.end();
});
