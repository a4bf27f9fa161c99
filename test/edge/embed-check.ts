// What every runtime test asserts of the vectors a runtime sent back as flat JSON numbers: as
// many as sentences, of the model's dimension, within `maxAbs` of sentence-transformers' goldens.
import type test from 'tape';
import type { CheckpointName } from '../fixtures.js';
import { agreement, embeddingGolden } from '../goldens.js';

/** Flat numbers, count × dimension, back into one Float32Array per text. */
export function splitVectors(flat: number[], dimension: number): Float32Array[] {
  return Array.from({ length: flat.length / dimension }, (_, i) => Float32Array.from(flat.slice(i * dimension, (i + 1) * dimension)));
}

export function checkVectors(
  t: test.Test, where: string, name: CheckpointName, flat: number[], dimension: number, count: number, maxAbs: number,
): void {
  const vectors = splitVectors(flat, dimension);
  t.equal(vectors.length, count, `${where}: ${vectors.length} vectors of ${dimension}`);
  const found = agreement(vectors, embeddingGolden(name).vectors);
  t.ok(found.maxAbs <= maxAbs, `${name} ${where}: max |Δ| ${found.maxAbs.toExponential(2)} ≤ ${maxAbs} (worst text ${found.worst}), min cosine ${found.minCosine.toFixed(8)}`);
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
