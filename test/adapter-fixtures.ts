// What the framework adapter tests share: a small STS-B corpus, a query whose nearest corpus
// sentence is known, and a bit-for-bit comparison of the adapters' vectors with encode()'s.
import type test from 'tape';
import { stsTestPairs } from './fixtures.js';

/** sentence1 of the first 20 STS-B test pairs. */
export const corpus = stsTestPairs().slice(0, 20).map((pair) => pair.sentence1);
/** sentence2 of pair 2, scored 5.0 (same meaning) against sentence1 of pair 2. */
export const query = stsTestPairs()[2].sentence2;
export const expectedNearest = stsTestPairs()[2].sentence1;

/** Asserts each vector holds exactly the float32 values encode() returned for the same text. */
export function sameBits(t: test.Test, got: readonly (readonly number[])[], want: readonly Float32Array[], what: string): void {
  const mismatch = want.findIndex((vector, i) => {
    const ours = got[i];
    return ours === undefined || ours.length !== vector.length || ours.some((x, c) => x !== vector[c]);
  });
  t.equal(got.length, want.length, `${what}: ${got.length} vectors`);
  t.equal(mismatch, -1, `${what}: every value equals encode()'s float32 exactly${mismatch === -1 ? '' : ` (first difference in vector ${mismatch})`}`);
}

/** The message a promise rejects with, or 'no error'. */
export function failure(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => 'no error', (error: Error) => error.message);
}
