// sentvec/ai-sdk: a provider of embedding models for the Vercel AI SDK (embed, embedMany). The
// embedding model specification (@ai-sdk/provider EmbeddingModelV2, V3, V4) is a shape, met here
// without importing anything from the AI SDK, so no AI SDK package is needed to load or type it.
// Fields are TypeScript-private rather than #private because the AI SDK wraps v2 and v3 models in
// a Proxy, through which #private fields cannot be read.

import { AdapterModel, type AdapterOptions, type ModelSource } from './model.js';

export type { ModelSource } from './model.js';

/** 'v4' for ai 7 (which also takes v3 and v2), 'v3' for ai 6 (also v2), 'v2' for ai 5. */
export type SpecificationVersion = 'v2' | 'v3' | 'v4';
const SPECIFICATION_VERSIONS: readonly SpecificationVersion[] = ['v2', 'v3', 'v4'];

/** The AI SDK does not tell queries from documents, so no prompt is put before its values. */
export interface SentvecEmbeddingSettings<V extends SpecificationVersion = 'v4'> extends Omit<AdapterOptions, 'model' | 'prompts'> {
  /** The embedding model specification to implement (default 'v4'). */
  specificationVersion?: V;
}

/** What doEmbed reads of the call options; the options of every specification version have it. */
export interface SentvecEmbedOptions {
  values: string[];
  abortSignal?: AbortSignal;
  /** v4 only; the model's dimension is fixed, so any other value is answered with a warning. */
  dimensions?: number;
}

/** A doEmbed result every specification version accepts. */
export interface SentvecEmbedResult {
  embeddings: number[][];
  usage: { tokens: number };
  warnings: { type: 'unsupported'; feature: string; details?: string }[];
}

export class SentvecEmbeddingModel<V extends SpecificationVersion = 'v4'> {
  readonly specificationVersion: V;
  readonly provider = 'sentvec';
  readonly modelId: string;
  private readonly adapter: AdapterModel;

  constructor(model: ModelSource, settings: SentvecEmbeddingSettings<V> = {}) {
    const { specificationVersion = 'v4', ...options } = settings;
    if (!SPECIFICATION_VERSIONS.includes(specificationVersion)) {
      throw new RangeError(`sentvec.embedding: specificationVersion must be one of ${SPECIFICATION_VERSIONS.join(', ')}, got ${String(specificationVersion)}`);
    }
    this.specificationVersion = specificationVersion as V;
    this.adapter = new AdapterModel('sentvec.embedding', { ...options, model });
    this.modelId = this.adapter.name;
  }

  /** Texts sure to fit one forward pass: embedMany splits its values into calls of this many. */
  get maxEmbeddingsPerCall(): Promise<number> {
    return this.adapter.textsPerBatch();
  }

  /** The native backend computes in a worker thread that queues calls; wasm and js compute on the calling thread. */
  get supportsParallelCalls(): Promise<boolean> {
    return this.adapter.model().then((model) => model.backend === 'native');
  }

  /** Vectors of `values` in order; an aborted `abortSignal` stops the work before the next forward pass. */
  async doEmbed({ values, abortSignal, dimensions }: SentvecEmbedOptions): Promise<SentvecEmbedResult> {
    const model = await this.adapter.model();
    const { vectors, tokens } = await this.adapter.embed(values, { signal: abortSignal });
    const warnings: SentvecEmbedResult['warnings'] = dimensions === undefined || dimensions === model.dimension ? [] : [
      { type: 'unsupported', feature: 'dimensions', details: `the model makes ${model.dimension}-dimensional vectors; ${dimensions} was asked for` },
    ];
    return { embeddings: vectors, usage: { tokens }, warnings };
  }

  /** Releases the model if this object loaded it; a SentenceModel passed in stays open. */
  close(): Promise<void> {
    return this.adapter.close();
  }
}

export interface SentvecProvider {
  /** An embedding model for the AI SDK's embed() and embedMany(), from whatever load() takes or a loaded SentenceModel. */
  embedding<V extends SpecificationVersion = 'v4'>(model: ModelSource, settings?: SentvecEmbeddingSettings<V>): SentvecEmbeddingModel<V>;
}

/** A provider whose models share `defaults` (load options, token budget). */
export function createSentvec(defaults: Omit<SentvecEmbeddingSettings, 'specificationVersion'> = {}): SentvecProvider {
  return {
    embedding: (model, settings) => new SentvecEmbeddingModel(model, { ...defaults, ...settings }),
  };
}

/** The default provider: `embed({ model: sentvec.embedding('/models/all-MiniLM-L6-v2'), value })`. */
export const sentvec = createSentvec();
