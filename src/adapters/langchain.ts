// sentvec/langchain: a LangChain.js Embeddings class (@langchain/core, an optional peer dependency).

import { importPeer } from './peer.js';

const { SentvecEmbeddings } = await importPeer(() => import('./langchain-embeddings.js'), '@langchain/core', 'sentvec/langchain');
export { SentvecEmbeddings };
export type SentvecEmbeddings = import('./langchain-embeddings.js').SentvecEmbeddings;
export type { SentvecEmbeddingsOptions } from './langchain-embeddings.js';
export type { ModelSource, Prompts } from './model.js';
