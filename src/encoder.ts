// The public model: tokenize, sort by length, batch, run the graph, pool, normalize, restore order.

import type { BackendName } from './backend/kernels.js';
import { lengthSortedBatches } from './batching.js';
import type { Dtype } from './load.js';
import { similarity, type SentenceModules, type SimilarityName } from './pooling.js';
import { nextTurn, type BatchRunner } from './runner.js';
import type { Tokenizer } from './tokenizer/index.js';

export interface EncodeOptions {
  /** Sentences per forward pass (default 32), at most TOKENS_PER_BATCH tokens. Vectors do not depend on it. */
  batchSize?: number;
}

/**
 * Tokens one forward pass holds at most, whatever batchSize says: activation memory grows with
 * them (about 15 kB a token for MiniLM, 30 kB for MPNet base). 32 texts of 256 tokens fit.
 */
export const TOKENS_PER_BATCH = 8192;

export class SentenceModel {
  /** Length of every vector encode() returns. */
  readonly dimension: number;

  constructor(
    private readonly runner: BatchRunner,
    private readonly tokenizer: Tokenizer,
    private readonly modules: SentenceModules,
    /** Word pieces per text, special tokens included; longer texts are truncated. */
    readonly maxSeqLength: number,
    /** The precision of the encoder's Linear layers. */
    readonly dtype: Dtype = 'fp32',
  ) {
    this.dimension = runner.hiddenSize * modules.pooling.length;
  }

  /** Which kernel backend runs this model. */
  get backend(): BackendName {
    return this.runner.backend;
  }

  /** The score function of the model folder: 'cosine' unless config_sentence_transformers.json says otherwise. */
  get similarityFunction(): SimilarityName {
    return this.modules.similarity;
  }

  /** Stops the model's worker thread, if it has one; encode() fails afterwards. */
  close(): Promise<void> {
    return this.runner.close();
  }

  /**
   * Token ids exactly as sentence-transformers feeds them to the model; a larger maxLength lets a
   * caller see how long a text really is before it is truncated.
   */
  tokenize(text: string, maxLength = this.maxSeqLength): Int32Array {
    if (typeof text !== 'string') throw new TypeError(`tokenize(text): text must be a string, got ${typeof text}`);
    return this.tokenizer.encode(this.modules.lowercase ? text.toLowerCase() : text, maxLength);
  }

  /** Token ids run through the model must be below this. */
  get vocabSize(): number {
    return this.tokenizer.vocabSize;
  }

  /** Whether the model ends in a Normalize module, so every vector has unit length. */
  get normalizes(): boolean {
    return this.modules.normalize;
  }

  /** The tokenizer itself, for showing tokens (a server's /tokenize). */
  get tokens(): Pick<Tokenizer, 'tokenText' | 'specialTokenCounts'> {
    return this.tokenizer;
  }

  /**
   * Vectors of already tokenized sequences, run as one batch in the order given: the step
   * encode() repeats per batch, for callers that batch themselves (a server's queue).
   */
  encodeTokenized(sequences: readonly Int32Array[]): Promise<Float32Array[]> {
    const vocabSize = this.vocabSize;
    sequences.forEach((ids, i) => {
      if (!(ids instanceof Int32Array) || ids.length < 1 || ids.length > this.maxSeqLength) {
        throw new RangeError(`encodeTokenized: sequences[${i}] must be an Int32Array of 1 to ${this.maxSeqLength} ids`);
      }
      if (ids.some((id) => id < 0 || id >= vocabSize)) {
        throw new RangeError(`encodeTokenized: sequences[${i}] has an id outside [0, ${vocabSize})`);
      }
    });
    return this.runner.run([...sequences]);
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
  async encode(texts: readonly string[], options?: EncodeOptions | null): Promise<Float32Array[]> {
    if (!Array.isArray(texts)) throw new TypeError('encode(texts): texts must be an array of strings');
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeError(`encode: options must be an object, got ${typeof options}`);
    }
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new TypeError(`encode(texts): texts[${i}] is a ${typeof text}, not a string`);
    });
    const batchSize = options?.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`encode: batchSize must be a positive integer, got ${batchSize}`);
    }
    const tokenized: Int32Array[] = [];
    for (const text of texts) {
      tokenized.push(this.tokenize(text));
      // tokenizing thousands of texts at once would hold the event loop for tens of milliseconds
      if (tokenized.length % 64 === 0) await nextTurn();
    }
    const vectors: Float32Array[] = new Array(texts.length);
    const lengths = tokenized.map((ids) => ids.length);
    for (const batch of lengthSortedBatches(lengths, { maxBatchSize: batchSize, maxBatchTokens: TOKENS_PER_BATCH })) {
      const pooled = await this.runner.run(batch.map((i) => tokenized[i]));
      batch.forEach((i, b) => (vectors[i] = pooled[b]));
    }
    return vectors;
  }
}
