// LangChain.js Embeddings over a sentvec model: documents in forward passes cut by the token budget,
// each pass through LangChain's AsyncCaller so its maxConcurrency and retry options apply.

import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { AdapterModel, encodeBatch, type AdapterOptions, type TextKind } from './model.js';

/** The model and batchTokens, prompts as embedQuery and embedDocuments use them, and LangChain's caller options. */
export interface SentvecEmbeddingsOptions extends AdapterOptions, EmbeddingsParams {}

export class SentvecEmbeddings extends Embeddings {
  private readonly adapter: AdapterModel;

  constructor(options: SentvecEmbeddingsOptions) {
    const { model, loadOptions, batchTokens, prompts, ...callerOptions } = options ?? ({} as SentvecEmbeddingsOptions);
    // a local forward pass that failed fails the same way again: no retries unless asked for
    super({ maxRetries: 0, ...callerOptions });
    this.adapter = new AdapterModel('SentvecEmbeddings', { model, loadOptions, batchTokens, prompts });
  }

  embedDocuments(documents: string[]): Promise<number[][]> {
    return this.embed(documents, 'document');
  }

  async embedQuery(query: string): Promise<number[]> {
    const [vector] = await this.embed([query], 'query');
    return vector;
  }

  private async embed(texts: string[], kind: TextKind): Promise<number[][]> {
    const { model, batches, prompt } = await this.adapter.batches(texts, kind);
    const vectors = await Promise.all(batches.map((batch) => this.caller.call(() => encodeBatch(model, batch, prompt))));
    return vectors.flat();
  }

  /** Releases the model if this object loaded it; a SentenceModel passed in stays open. */
  close(): Promise<void> {
    return this.adapter.close();
  }
}
