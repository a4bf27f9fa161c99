// sentvec/llamaindex: a LlamaIndex.TS embedding model (@llamaindex/core, an optional peer dependency).

import { importPeer } from './peer.js';

const { SentvecEmbedding } = await importPeer(() => import('./llamaindex-embedding.js'), '@llamaindex/core', 'sentvec/llamaindex');
export { SentvecEmbedding };
export type SentvecEmbedding = import('./llamaindex-embedding.js').SentvecEmbedding;
export type { SentvecEmbeddingOptions } from './llamaindex-embedding.js';
export type { ModelSource, Prompts } from './model.js';
