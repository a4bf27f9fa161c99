// LlamaIndex.TS BaseEmbedding over a sentvec model: a list of texts is one call, cut into forward
// passes by the token budget, instead of BaseEmbedding's one call per text.

import { BaseEmbedding } from '@llamaindex/core/embeddings';
import type { MessageContentDetail } from '@llamaindex/core/llms';
import { extractSingleText } from '@llamaindex/core/utils';
import { AdapterModel, DEFAULT_BATCH_TEXTS, type AdapterOptions } from './model.js';

/** The model, batchTokens, and prompts: `query` for getQueryEmbedding, `document` for texts and nodes. */
export interface SentvecEmbeddingOptions extends AdapterOptions {
  /**
   * Texts LlamaIndex hands getTextEmbeddings at once when it embeds nodes (default 32); each call
   * is then cut into forward passes by batchTokens.
   */
  embedBatchSize?: number;
}

export class SentvecEmbedding extends BaseEmbedding {
  private readonly adapter: AdapterModel;

  constructor(options: SentvecEmbeddingOptions) {
    super();
    const { embedBatchSize = DEFAULT_BATCH_TEXTS, ...adapterOptions } = options ?? ({} as SentvecEmbeddingOptions);
    this.adapter = new AdapterModel('SentvecEmbedding', adapterOptions);
    this.embedBatchSize = embedBatchSize;
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    const [vector] = await this.getTextEmbeddings([text]);
    return vector;
  }

  // BaseEmbedding assigns getTextEmbeddings in its constructor, so it is overridden as a property too
  getTextEmbeddings = async (texts: string[]): Promise<number[][]> => {
    return (await this.adapter.embed(texts, { kind: 'document' })).vectors;
  };

  /** The query's vector with the query prompt; null for a query without text (an image), as in BaseEmbedding. */
  async getQueryEmbedding(query: MessageContentDetail): Promise<number[] | null> {
    const text = extractSingleText(query);
    if (!text) return null;
    const [vector] = (await this.adapter.embed([text], { kind: 'query' })).vectors;
    return vector;
  }

  /** Releases the model if this object loaded it; a SentenceModel passed in stays open. */
  close(): Promise<void> {
    return this.adapter.close();
  }
}
