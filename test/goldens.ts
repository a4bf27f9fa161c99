// Reads the committed goldens that test/goldens/make_embedding_goldens.py wrote from
// sentence-transformers on PyTorch, and the statistics the parity tests report.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { goldensDir, stsTestSentences, type CheckpointName } from './fixtures.js';

export interface EmbeddingGolden {
  checkpoint: string;
  count: number;
  dimension: number;
  sts_sentences: number;
  long_texts: string[];
  long_text_tokens: number;
  max_seq_length: number;
  similarity: string;
  sts_spearman_x100: number;
  /** The texts in golden order: every STS-B test sentence, then the long texts. */
  texts: string[];
  vectors: Float32Array[];
}

export function embeddingGolden(name: CheckpointName): EmbeddingGolden {
  const meta = JSON.parse(fs.readFileSync(path.join(goldensDir, `embeddings-${name}.json`), 'utf8'));
  const bytes = zlib.gunzipSync(fs.readFileSync(path.join(goldensDir, `embeddings-${name}.f32.gz`)));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (values.length !== meta.count * meta.dimension) {
    throw new Error(`embeddings-${name}.f32.gz holds ${values.length} floats, its .json says ${meta.count}×${meta.dimension}`);
  }
  const sentences = stsTestSentences();
  if (sentences.length !== meta.sts_sentences) {
    throw new Error(`STS-B test set has ${sentences.length} sentences, the golden ${meta.sts_sentences}`);
  }
  const vectors = Array.from({ length: meta.count }, (_, i) => values.subarray(i * meta.dimension, (i + 1) * meta.dimension));
  return { ...meta, texts: [...sentences, ...meta.long_texts], vectors };
}

export interface Agreement {
  maxAbs: number;
  minCosine: number;
  worst: number;
}

/** Cosine of two vectors of one length. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return dot / Math.sqrt(aa * bb);
}

/** Worst per-component |Δ| and lowest cosine of `found[i]` against `expected[indices[i]]`. */
export function agreement(found: Float32Array[], expected: Float32Array[], indices = found.map((_, i) => i)): Agreement {
  let maxAbs = 0;
  let minCosine = 1;
  let worst = -1;
  found.forEach((vector, i) => {
    const golden = expected[indices[i]];
    for (let c = 0; c < golden.length; c++) {
      const delta = Math.abs(vector[c] - golden[c]);
      if (!(delta <= maxAbs)) {
        maxAbs = Number.isNaN(delta) ? Infinity : delta;
        worst = indices[i];
      }
    }
    if (vector.length !== golden.length) maxAbs = Infinity;
    minCosine = Math.min(minCosine, cosine(golden, vector));
  });
  return { maxAbs, minCosine, worst };
}

function ranks(values: number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const result = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]] === values[order[start]]) end++;
    // ties share the mean of their ranks, as scipy.stats.spearmanr does
    for (let i = start; i <= end; i++) result[order[i]] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return result;
}

export function spearman(a: number[], b: number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let covariance = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < ra.length; i++) {
    covariance += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) ** 2;
    vb += (rb[i] - mean) ** 2;
  }
  return covariance / Math.sqrt(va * vb);
}
