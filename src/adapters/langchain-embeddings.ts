// LangChain.js Embeddings over a sentvec model: documents in forward passes cut by the token budget,
// each pass through LangChain's AsyncCaller so its maxConcurrency and retry options apply.

import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { AdapterModel, encodeBatch, prompted, type AdapterOptions, type Prompts } from './model.js';

export interface SentvecEmbeddingsOptions extends AdapterOptions, EmbeddingsParams {
  /** Prompts for embedQuery and embedDocuments (default none; see prompted() for the model's own). */
  prompts?: Prompts;
}

export class SentvecEmbeddings extends Embeddings {
  private readonly adapter: AdapterModel;
  private readonly prompts?: Prompts;

  constructor(options: SentvecEmbeddingsOptions) {
    const { model, loadOptions, batchTokens, prompts, ...callerOptions } = options ?? ({} as SentvecEmbeddingsOptions);
    // a local forward pass that failed fails the same way again: no retries unless asked for
    super({ maxRetries: 0, ...callerOptions });
    this.adapter = new AdapterModel('SentvecEmbeddings', { model, loadOptions, batchTokens });
    this.prompts = prompts;
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    const { model, batches } = await this.adapter.batches(prompted(documents, this.prompts, 'document'));
    const vectors = await Promise.all(batches.map((batch) => this.caller.call(() => encodeBatch(model, batch))));
    return vectors.flat();
  }

  async embedQuery(query: string): Promise<number[]> {
    const model = await this.adapter.model();
    const [vector] = await this.caller.call(() => encodeBatch(model, prompted([query], this.prompts, 'query')));
    return vector;
  }

  /** Releases the model if this object loaded it; a SentenceModel passed in stays open. */
  close(): Promise<void> {
    return this.adapter.close();
  }
}
