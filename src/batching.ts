// The one place texts are grouped into forward passes: encode(), a server's queue and reranking
// all sort by length and cut batches here, so they run the same sequences together.

export interface BatchLimits {
  /** Most sequences in one batch. */
  maxBatchSize: number;
  /** Most tokens in one batch (default unbounded); a longer sequence runs alone. */
  maxBatchTokens?: number;
}

/**
 * Indices of `lengths` sorted by length (stable, shortest first), cut into consecutive batches
 * under the limits. Sorted, a batch holds texts of similar length: attention splits its work by
 * the longest, and each vector depends only on its own tokens, so grouping never changes a vector.
 */
export function lengthSortedBatches(lengths: readonly number[], limits: BatchLimits): number[][] {
  const { maxBatchSize, maxBatchTokens = Infinity } = limits;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
  }
  if (!(maxBatchTokens >= 1)) throw new RangeError(`maxBatchTokens must be at least 1, got ${maxBatchTokens}`);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  const batches: number[][] = [];
  let batch: number[] = [];
  let tokens = 0;
  for (const i of order) {
    if (batch.length === maxBatchSize || (batch.length > 0 && tokens + lengths[i] > maxBatchTokens)) {
      batches.push(batch);
      batch = [];
      tokens = 0;
    }
    batch.push(i);
    tokens += lengths[i];
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Runs each length-sorted batch of `lengths`' indices through `run`, which returns one output per
 * index it was given, and puts the outputs back in input order.
 */
export async function runSortedBatches(
  lengths: readonly number[], limits: BatchLimits, run: (batch: number[]) => Promise<Float32Array[]>,
): Promise<Float32Array[]> {
  const outputs: Float32Array[] = new Array(lengths.length);
  for (const batch of lengthSortedBatches(lengths, limits)) {
    const rows = await run(batch);
    batch.forEach((i, b) => (outputs[i] = rows[b]));
  }
  return outputs;
}
