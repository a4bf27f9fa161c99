// What the framework adapters share: the model, given loaded or loaded on first use; the prompt
// put before queries or documents; texts split into forward passes by the token budget.

// the public API, not load.ts and encoder.ts: the adapters depend only on what users see
import { load, SentenceModel, type LoadOptions, type ModelInput } from '../index.js';
import { nextTurn } from '../runner.js';

/** Whatever load() takes (a model folder, id, URL or files), or a model already loaded. */
export type ModelSource = ModelInput | SentenceModel;

/**
 * Texts one forward pass holds under the default token budget when every text reaches
 * max_seq_length: encode()'s default batch size, so the default budget is that batch at its longest.
 */
export const DEFAULT_BATCH_TEXTS = 32;

export interface AdapterOptions {
  /** Whatever load() takes, or a loaded SentenceModel (which close() then leaves open). */
  model: ModelSource;
  /** Options for load() when the adapter loads the model itself. */
  loadOptions?: LoadOptions;
  /**
   * Word pieces (special tokens included) one forward pass holds at most; default 32 texts at the
   * model's max_seq_length. It must be at least max_seq_length, so that any text fits.
   */
  batchTokens?: number;
  /** Text put before each query or each document (default: the model's "query" and "document" prompts, if any). */
  prompts?: Prompts;
}

/** e.g. E5's { query: 'query: ', document: 'passage: ' }. */
export interface Prompts {
  query?: string;
  document?: string;
}

/** What the texts are, which decides their prompt; undefined: no prompt. */
export type TextKind = keyof Prompts | undefined;

/**
 * One forward pass over `batch` with `prompt` before each text, as plain arrays (what the
 * frameworks store); float32 values are exact in doubles. The model puts the prompt on, so a
 * Pooling module that leaves prompts out of pooling does so.
 */
export async function encodeBatch(model: SentenceModel, batch: readonly string[], prompt: string): Promise<number[][]> {
  const vectors = await model.encode(batch, { batchSize: batch.length, prompt });
  return vectors.map((vector) => Array.from(vector));
}

export interface TokenBatches {
  model: SentenceModel;
  /** The texts in input order, cut where the next text would overflow the token budget. */
  batches: string[][];
  /** What goes before every text ('' for nothing). */
  prompt: string;
  /** Word pieces over all texts, special tokens included, after truncation: what the model reads. */
  tokens: number;
}

/** A model for an adapter: given loaded, or loaded on first use and then owned. */
export class AdapterModel {
  private loading?: Promise<SentenceModel>;
  private closed = false;
  private readonly owned: boolean;

  constructor(
    /** Who is asking, for error messages ('SentvecEmbeddings', …). */
    private readonly adapter: string,
    private readonly options: AdapterOptions,
  ) {
    const source: unknown = options?.model;
    if (source === undefined || source === null || (typeof source !== 'string' && typeof source !== 'object')) {
      throw new TypeError(`${adapter}: options.model must be a model id or folder (anything load() takes) or a loaded SentenceModel, got ${source === null ? 'null' : typeof source}`);
    }
    const budget = options.batchTokens;
    if (budget !== undefined && (!Number.isInteger(budget) || budget < 1)) {
      throw new RangeError(`${adapter}: batchTokens must be a positive integer, got ${budget}`);
    }
    this.owned = !(source instanceof SentenceModel);
    if (!this.owned) this.loading = Promise.resolve(source as SentenceModel);
  }

  /** The source as a name for logs: the id, folder or URL given, else 'sentvec'. */
  get name(): string {
    const source = this.options.model;
    if (typeof source === 'string') return source;
    return source instanceof URL ? source.href : 'sentvec';
  }

  /** The model, loading it on the first call; a failed load is retried by the next call. */
  model(): Promise<SentenceModel> {
    if (this.closed) return Promise.reject(new Error(`${this.adapter}: closed; the model it loaded has been released`));
    this.loading ??= load(this.options.model as ModelInput, this.options.loadOptions).catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** Word pieces one forward pass holds at most. */
  batchTokens(model: SentenceModel): number {
    const budget = this.options.batchTokens ?? DEFAULT_BATCH_TEXTS * model.maxSeqLength;
    if (budget < model.maxSeqLength) {
      throw new RangeError(`${this.adapter}: batchTokens ${budget} is less than the model's max_seq_length ${model.maxSeqLength}; a text that long would not fit`);
    }
    return budget;
  }

  /** Texts that are sure to fit one forward pass whatever their length. */
  async textsPerBatch(): Promise<number> {
    const model = await this.model();
    return Math.floor(this.batchTokens(model) / model.maxSeqLength);
  }

  /**
   * The prompt for texts of `kind`: the `prompts` option's, else the model's own, as
   * encode_query and encode_document take it (its "query" or "document" prompt, maybe empty);
   * texts of no kind get the model's default prompt, as encode() gives them.
   */
  private promptFor(model: SentenceModel, kind: TextKind): string {
    if (kind !== undefined) return this.options.prompts?.[kind] ?? model.prompts[kind] ?? '';
    const name = model.defaultPromptName;
    return name === undefined ? '' : model.prompts[name];
  }

  /**
   * `texts`, prompted for `kind`, cut into forward passes of at most batchTokens word pieces each.
   * encode() tokenizes them again (it takes texts, not ids); tokenizing is under 1% of a forward pass.
   */
  async batches(texts: readonly string[], kind?: TextKind): Promise<TokenBatches> {
    const model = await this.model();
    const budget = this.batchTokens(model);
    const batches: string[][] = [];
    let batch: string[] = [];
    let batchTokens = 0;
    let tokens = 0;
    const prompt = this.promptFor(model, kind);
    for (const [i, text] of texts.entries()) {
      const length = model.tokenize(prompt + text).length;
      if (batch.length > 0 && batchTokens + length > budget) {
        batches.push(batch);
        batch = [];
        batchTokens = 0;
      }
      batch.push(text);
      batchTokens += length;
      tokens += length;
      // as in encode(): tokenizing thousands of texts at once would hold the event loop
      if (i % 64 === 63) await nextTurn();
    }
    if (batch.length > 0) batches.push(batch);
    return { model, batches, prompt, tokens };
  }

  /**
   * Vectors of `texts`, prompted for `kind`, in input order, one forward pass after another. An
   * aborted `signal` stops the work before the next forward pass (the pass under way finishes) and
   * rejects with its reason.
   */
  async embed(texts: readonly string[], { kind, signal }: { kind?: TextKind; signal?: AbortSignal } = {}): Promise<{ vectors: number[][]; tokens: number }> {
    signal?.throwIfAborted();
    const { model, batches, prompt, tokens } = await this.batches(texts, kind);
    const vectors: number[][] = [];
    for (const batch of batches) {
      signal?.throwIfAborted();
      vectors.push(...(await encodeBatch(model, batch, prompt)));
    }
    signal?.throwIfAborted();
    return { vectors, tokens };
  }

  /** Releases the model if this adapter loaded it; a model passed in loaded stays open. */
  async close(): Promise<void> {
    if (!this.owned || this.closed) return;
    this.closed = true;
    const model = await this.loading?.catch(() => undefined);
    this.loading = undefined;
    await model?.close();
  }
}
