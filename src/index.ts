// sentvec: sentence-transformers embeddings from safetensors checkpoints.
export { load, type LoadOptions, type ModelFileMap, type ModelInput } from './load.js';
export { SentenceModel, type EncodeOptions } from './encoder.js';
export type { SimilarityName } from './pooling.js';
export type { BackendName } from './backend/kernels.js';
export { BackendUnavailableError } from './backend/index.js';
export { serve, type ServeOptions, type EmbeddingServer } from './serve/server.js';
