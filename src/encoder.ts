// The public model: prompt, tokenize, sort by length, batch, run the graph and its head
// (pooling, Dense, Normalize), truncate, restore order.

import type { BackendName } from './backend/kernels.js';
import { runSortedBatches } from './batching.js';
import { headDimension, type RunOptions } from './heads.js';
import type { Dtype } from './load-graph.js';
import { normalizeL2, similarity, type SentenceModules, type SimilarityName } from './pooling.js';
import { nextTurn, type BatchRunner } from './runner.js';
import type { Tokenizer } from './tokenizer/index.js';

export interface EncodeOptions {
  /** Sentences per forward pass (default 32), at most TOKENS_PER_BATCH tokens. Vectors do not depend on it. */
  batchSize?: number;
  /** Text put before every text ('query: '); wins over promptName. */
  prompt?: string;
  /**
   * The model's prompt (config_sentence_transformers.json prompts) put before every text; by
   * default its default_prompt_name, if it has one.
   */
  promptName?: string;
  /** Keep the first truncateDim values of every vector (default: load()'s truncateDim). */
  truncateDim?: number;
  /** Scale every vector to unit length after truncating (sentence-transformers normalize_embeddings). */
  normalize?: boolean;
}

/**
 * Tokens one forward pass holds at most, whatever batchSize says: activation memory grows with
 * them (about 15 kB a token for MiniLM, 30 kB for MPNet base). 32 texts of 256 tokens fit.
 */
export const TOKENS_PER_BATCH = 8192;

/** The first `dimension` values, in an array of their own (a view would keep the whole vector's buffer). */
const truncated = (vector: Float32Array, dimension: number) => (vector.length === dimension ? vector : vector.slice(0, dimension));

export class SentenceModel {
  /** Length of every vector encode() returns (after load()'s truncateDim). */
  readonly dimension: number;
  /** Length of the vectors the model's modules give, before any truncation. */
  readonly fullDimension: number;

  constructor(
    private readonly runner: BatchRunner,
    private readonly tokenizer: Tokenizer,
    private readonly modules: SentenceModules,
    /** Word pieces per text, special tokens included; longer texts are truncated. */
    readonly maxSeqLength: number,
    /** The precision of the encoder's Linear layers. */
    readonly dtype: Dtype = 'fp32',
    /** load()'s truncateDim, which wins over the folder's truncate_dim. */
    truncateDim?: number,
  ) {
    this.fullDimension = headDimension(modules.head, runner.hiddenSize);
    // a folder's truncate_dim past the width keeps the whole vector, as in sentence-transformers;
    // one asked for is checked
    this.dimension = truncateDim === undefined
      ? Math.min(this.fullDimension, modules.truncateDim ?? Infinity)
      : this.checkedTruncateDim(truncateDim, 'load: truncateDim');
  }

  private checkedTruncateDim(value: number, origin: string): number {
    if (!Number.isInteger(value) || value < 1 || value > this.fullDimension) {
      throw new RangeError(`${origin} must be an integer in 1..${this.fullDimension} (the model's vectors have ${this.fullDimension} values), got ${value}`);
    }
    return value;
  }

  /** config_sentence_transformers.json prompts, by name. */
  get prompts(): Readonly<Record<string, string>> {
    return this.modules.prompts;
  }

  /** The prompt encode() uses when given none, if the model names one. */
  get defaultPromptName(): string | undefined {
    return this.modules.defaultPromptName;
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

  /** Whether every vector encode() returns by default has unit length: the model ends in Normalize and is not truncated. */
  get normalizes(): boolean {
    const { steps } = this.modules.head;
    return steps.length > 0 && steps[steps.length - 1].type === 'normalize' && this.dimension === this.fullDimension;
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
    return this.runner.run([...sequences]).then((vectors) => vectors.map((vector) => truncated(vector, this.dimension)));
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

  /**
   * The prompt text of encode()'s options, as sentence-transformers resolves it: prompt, else the
   * prompt named promptName, else the default prompt.
   */
  private resolvePrompt(options: EncodeOptions | null | undefined): string | undefined {
    if (options?.prompt !== undefined) {
      if (typeof options.prompt !== 'string') throw new TypeError(`encode: prompt must be a string, got ${typeof options.prompt}`);
      return options.prompt;
    }
    const name = options?.promptName ?? this.modules.defaultPromptName;
    if (name === undefined) return undefined;
    if (!Object.hasOwn(this.modules.prompts, name)) {
      const known = Object.keys(this.modules.prompts);
      throw new RangeError(`encode: prompt name ${JSON.stringify(name)} is not one of the model's prompts ` +
        `(${known.length > 0 ? known.map((known) => JSON.stringify(known)).join(', ') : 'it has none'})`);
    }
    return this.modules.prompts[name];
  }

  /**
   * Tokens of `prompt` when tokenized alone, without the special token that ends a sequence
   * (Transformer._get_prompt_length): what Pooling leaves out when include_prompt is false.
   */
  private promptLength(prompt: string): number {
    return this.tokenize(prompt).length - (this.tokenizer.specialTokenCounts.suffix > 0 ? 1 : 0);
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
    const dimension = options?.truncateDim === undefined ? this.dimension : this.checkedTruncateDim(options.truncateDim, 'encode: truncateDim');
    const prompt = this.resolvePrompt(options);
    const run: RunOptions = prompt ? { promptLength: this.promptLength(prompt) } : {};
    const tokenized: Int32Array[] = [];
    for (const text of texts) {
      tokenized.push(this.tokenize(prompt ? prompt + text : text));
      // tokenizing thousands of texts at once would hold the event loop for tens of milliseconds
      if (tokenized.length % 64 === 0) await nextTurn();
    }
    const lengths = tokenized.map((ids) => ids.length);
    const pooled = await runSortedBatches(lengths, { maxBatchSize: batchSize, maxBatchTokens: TOKENS_PER_BATCH },
      (batch) => this.runner.run(batch.map((i) => tokenized[i]), run));
    const vectors = pooled.map((vector) => truncated(vector, dimension));
    // sentence-transformers truncates the model's output, then normalizes if asked
    if (options?.normalize) vectors.forEach(normalizeL2);
    return vectors;
  }

  /**
   * encode() for search queries (sentence-transformers encode_query): the model's "query" prompt
   * (empty if it has none, never the default prompt) unless options name another.
   */
  encodeQuery(texts: readonly string[], options?: EncodeOptions | null): Promise<Float32Array[]> {
    return this.encode(texts, this.withTaskPrompt(options, 'query'));
  }

  /**
   * encode() for documents (sentence-transformers encode_document): the model's "document" prompt
   * (empty if it has none), unless options name another.
   */
  encodeDocument(texts: readonly string[], options?: EncodeOptions | null): Promise<Float32Array[]> {
    return this.encode(texts, this.withTaskPrompt(options, 'document'));
  }

  private withTaskPrompt(options: EncodeOptions | null | undefined, promptName: 'query' | 'document'): EncodeOptions | null | undefined {
    return options?.prompt !== undefined || options?.promptName !== undefined ? options : { ...options, promptName };
  }
}
