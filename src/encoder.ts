// The public model: tokenize, sort by length, batch, run the graph, pool, normalize, restore order.

import type { BackendName, Kernels } from './backend/kernels.js';
import type { Encoder } from './models/transformer.js';
import { normalizeL2, similarity, type SentenceModules, type SimilarityName } from './pooling.js';
import type { Tokenizer } from './tokenizer/index.js';

export interface EncodeOptions {
  /** Sentences per forward pass (default 32). Vectors do not depend on it. */
  batchSize?: number;
}

/** Lets other work run between batches, so a long encode does not hold the event loop. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class SentenceModel {
  /** Length of every vector encode() returns. */
  readonly dimension: number;

  constructor(
    private readonly kernels: Kernels,
    private readonly encoder: Encoder<unknown>,
    private readonly tokenizer: Tokenizer,
    private readonly modules: SentenceModules,
    /** Word pieces per text, special tokens included; longer texts are truncated. */
    readonly maxSeqLength: number,
  ) {
    this.dimension = encoder.hiddenSize * modules.pooling.length;
  }

  /** Which kernel backend runs this model. */
  get backend(): BackendName {
    return this.kernels.name;
  }

  /** The score function of the model folder: 'cosine' unless config_sentence_transformers.json says otherwise. */
  get similarityFunction(): SimilarityName {
    return this.modules.similarity;
  }

  /** Token ids exactly as sentence-transformers feeds them to the model. */
  tokenize(text: string): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`tokenize(text): text must be a string, got ${typeof text}`);
    return this.tokenizer.encode(this.modules.lowercase ? text.toLowerCase() : text, this.maxSeqLength);
  }

  /** Scores two vectors with the model's similarity function. */
  similarity(a: Float32Array, b: Float32Array): number {
    for (const [name, vector] of [['a', a], ['b', b]] as const) {
      if (!(vector instanceof Float32Array) || vector.length !== this.dimension) {
        throw new TypeError(`similarity(a, b): ${name} must be a Float32Array of length ${this.dimension}`);
      }
    }
    return similarity(this.modules.similarity, a, b);
  }

  /** One vector per text, in input order. */
  async encode(texts: readonly string[], options: EncodeOptions = {}): Promise<Float32Array[]> {
    if (!Array.isArray(texts)) throw new TypeError('encode(texts): texts must be an array of strings');
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new TypeError(`encode(texts): texts[${i}] is a ${typeof text}, not a string`);
    });
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`encode: batchSize must be a positive integer, got ${batchSize}`);
    }
    const tokenized = texts.map((text) => this.tokenize(text));
    // Sorting by length keeps padding small; each vector depends only on its own tokens.
    const order = tokenized.map((_, i) => i).sort((a, b) => tokenized[a].length - tokenized[b].length);
    const vectors: Float32Array[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      const pooled = this.encodeBatch(batch.map((i) => tokenized[i]));
      batch.forEach((i, b) => (vectors[i] = pooled[b]));
      if (start + batchSize < order.length) await yieldToEventLoop();
    }
    return vectors;
  }

  private encodeBatch(sequences: Int32Array[]): Float32Array[] {
    const k = this.kernels;
    const B = sequences.length;
    const T = Math.max(...sequences.map((ids) => ids.length));
    const C = this.encoder.hiddenSize;
    const ids = new Int32Array(B * T).fill(this.encoder.padId);
    const lengths = new Int32Array(B);
    sequences.forEach((sequence, b) => {
      ids.set(sequence, b * T);
      lengths[b] = sequence.length;
    });
    const hidden = this.encoder.forward(ids, lengths, B, T);
    const pooled = k.alloc(B * C);
    const vectors = Array.from({ length: B }, () => new Float32Array(this.dimension));
    try {
      this.modules.pooling.forEach((mode, m) => {
        k.pool(pooled, hidden, lengths, B, T, C, mode);
        const values = k.read(pooled, B * C);
        for (let b = 0; b < B; b++) vectors[b].set(values.subarray(b * C, (b + 1) * C), m * C);
      });
    } finally {
      k.free(pooled);
      k.free(hidden);
    }
    if (this.modules.normalize) vectors.forEach(normalizeL2);
    return vectors;
  }
}
