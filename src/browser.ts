// sentvec for browsers, web workers and edge runtimes: the package's `browser` condition and
// `sentvec/browser`. Nothing reachable from here imports a Node built-in at load time. Outside
// Node the native loader gives up before importing its module, so the kernels are the WASM
// modules, else the TypeScript reference.
import type { CrossEncoder } from './cross-encoder.js';
import type { SentenceModel } from './encoder.js';
import { loadCrossEncoderSource, loadSource, type LoadOptions } from './load.js';
import { hubSource, type BrowserHubOptions } from './sources/hub-browser.js';
import { repoIdOf } from './sources/repo.js';
import { filesSource, urlSource, type ModelInput, type ModelSource } from './sources/source.js';
import { supportedWasmVariants, type WasmModules, type WasmVariant } from './backend/wasm.js';

export { SentenceModel, type EncodeOptions } from './encoder.js';
export {
  CrossEncoder, type PredictOptions, type RankedDocument, type RankOptions, type ScoreActivation, type TextPair,
} from './cross-encoder.js';
export type { LoadOptions } from './load.js';
export type { ModelFileMap, ModelInput } from './sources/source.js';
export { HubError, type DownloadProgress, type HubErrorCode } from './sources/repo.js';
export type { BrowserHubOptions, ModelCache } from './sources/hub-browser.js';
export type { SimilarityName } from './pooling.js';
export type { BackendName } from './backend/kernels.js';
export { BackendUnavailableError } from './backend/index.js';
export { supportedWasmVariants, type WasmModules, type WasmVariant };

const BROWSER_BACKENDS = ['wasm', 'js'];

/**
 * Loads a sentence-transformers model from the Hugging Face hub by repo id ('all-MiniLM-L6-v2',
 * 'org/name', 'hf:org/name'; files are kept in the Cache API), from a URL, or from its files. A
 * string that starts with '/', '.' or a scheme is a URL, resolved against the page.
 */
export async function load(input: ModelInput, options: LoadOptions & BrowserHubOptions = {}): Promise<SentenceModel> {
  checkBrowserBackend(options.backend);
  return loadSource(await browserSource(input, options), { ...options, worker: false });
}

/** Loads a cross-encoder from the same kinds of input as load(), for predict() and rank(). */
export async function loadCrossEncoder(input: ModelInput, options: LoadOptions & BrowserHubOptions = {}): Promise<CrossEncoder> {
  checkBrowserBackend(options.backend);
  return loadCrossEncoderSource(await browserSource(input, options), { ...options, worker: false });
}

function checkBrowserBackend(backend: string | undefined): void {
  if (backend !== undefined && !BROWSER_BACKENDS.includes(backend)) {
    throw new Error(`backend '${backend}' is not available in the browser build; valid backends: ${BROWSER_BACKENDS.join(', ')}`);
  }
}

async function browserSource(input: ModelInput, options: BrowserHubOptions): Promise<ModelSource> {
  if (input instanceof URL) return urlSource(input);
  if (typeof input !== 'string') return filesSource(input);
  const repo = /^[./]|^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? undefined : repoIdOf(input);
  return repo === undefined ? urlSource(modelUrl(input)) : hubSource(repo, options);
}

function modelUrl(input: string): URL {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(input, page);
  } catch {
    throw new TypeError(`load(model): '${input}' is neither a repo id nor a URL; the browser build reads a model by repo id, by URL or from its files`);
  }
}
