// sentvec: sentence-transformers embeddings from safetensors checkpoints.
import type { CrossEncoder } from './cross-encoder.js';
import type { SentenceModel } from './encoder.js';
import { requestedDtype } from './load-graph.js';
import { loadCrossEncoderSource, loadSource, type LoadOptions } from './load.js';
import { sourceOf } from './sources/index.js';
import { HubError, notRepoIdReason, repoIdOf, type HubOptions } from './sources/repo.js';
import type { Snapshot } from './sources/hub.js';
import type { ModelInput } from './sources/source.js';
import type { QuantizeOptions, QuantizeSummary } from './quantize.js';

export type { Dtype } from './load-graph.js';
export type { LoadOptions } from './load.js';
export type { ModelFileMap, ModelInput } from './sources/source.js';
export { HubError, type DownloadProgress, type HubErrorCode, type HubOptions } from './sources/repo.js';
export type { Snapshot } from './sources/hub.js';
export { SentenceModel, type EncodeOptions } from './encoder.js';
export {
  CrossEncoder, type PredictOptions, type RankedDocument, type RankOptions, type ScoreActivation, type TextPair,
} from './cross-encoder.js';
export type { SimilarityName } from './pooling.js';
export type { QuantizeOptions, QuantizeSummary } from './quantize.js';
export type { BackendName } from './backend/kernels.js';
export { BackendUnavailableError, backendReport, type BackendReport } from './backend/index.js';
export { serve, type ServeOptions, type EmbeddingServer } from './serve/server.js';

/**
 * Loads a sentence-transformers model (BERT/MiniLM or MPNet) from a folder, a Hugging Face repo id
 * ('sentence-transformers/all-MiniLM-L6-v2', 'all-MiniLM-L6-v2', 'hf:org/name'), an http(s) base
 * URL, or the files themselves. A repo is read from the hub cache, downloaded into it if missing.
 */
export async function load(input: ModelInput, options: LoadOptions = {}): Promise<SentenceModel> {
  requestedDtype(options.dtype);  // a precision sentvec cannot run is refused before anything is downloaded
  return loadSource(await sourceOf(input, options), options);
}

/**
 * Loads a sentence-transformers cross-encoder (a BertForSequenceClassification or
 * MPNetForSequenceClassification checkpoint) from the same kinds of input as load(), for
 * predict() over text pairs and rank() of documents against a query.
 */
export async function loadCrossEncoder(input: ModelInput, options: LoadOptions = {}): Promise<CrossEncoder> {
  requestedDtype(options.dtype);
  return loadCrossEncoderSource(await sourceOf(input, options), options);
}

/**
 * Brings a repo's model files into the hub cache and returns its snapshot folder: asks the hub
 * which commit the revision names now and re-hashes the cached files, fetching what is missing or
 * damaged (offline, checks the cache only).
 */
export async function download(name: string, options: HubOptions = {}): Promise<Snapshot> {
  const repo = repoIdOf(name);
  if (repo === undefined) throw new HubError('not-found', `'${name}' is not a Hugging Face repo id (${notRepoIdReason})`);
  const { hubSnapshot } = await import('./sources/hub.js');
  return hubSnapshot(repo, options, true);
}

// Node-only (node:fs), so named through a variable that bundlers do not follow, as load.ts does.
const QUANTIZE = './quantize.js';

/**
 * Writes to `outDir` a copy of the model folder `src` whose encoder Linear weights are stored as
 * int8 codes and scales (4× smaller; the word embeddings stay float32); load() runs it as int8,
 * giving the same vectors as `load(src, { dtype: 'int8' })`, bit for bit. Node only.
 */
export async function quantize(src: string, outDir: string, options?: QuantizeOptions): Promise<QuantizeSummary> {
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ QUANTIZE) as typeof import('./quantize.js')).quantize(src, outDir, options);
}
