// sentvec for browsers, web workers and edge runtimes: the package's `browser` condition and
// `sentvec/browser`. Nothing reachable from here imports a Node built-in at load time. Outside
// Node the native loader gives up before importing its module, so the kernels are the WASM
// modules, else the TypeScript reference.
import type { SentenceModel } from './encoder.js';
import { load as loadAnywhere, type LoadOptions, type ModelInput } from './load.js';
import { supportedWasmVariants, type WasmModules, type WasmVariant } from './backend/wasm.js';

export { SentenceModel, type EncodeOptions } from './encoder.js';
export type { LoadOptions, ModelFileMap, ModelInput } from './load.js';
export type { SimilarityName } from './pooling.js';
export type { BackendName } from './backend/kernels.js';
export { BackendUnavailableError } from './backend/index.js';
export { supportedWasmVariants, type WasmModules, type WasmVariant };

const BROWSER_BACKENDS = ['wasm', 'js'];

/**
 * Loads a sentence-transformers model from a URL or from its files. A string is a URL, resolved
 * against the page (so '/models/all-MiniLM-L6-v2' works), since there is no folder to read.
 */
export async function load(input: ModelInput, options: LoadOptions = {}): Promise<SentenceModel> {
  if (options.backend !== undefined && !BROWSER_BACKENDS.includes(options.backend)) {
    throw new Error(`backend '${options.backend}' is not available in the browser build; valid backends: ${BROWSER_BACKENDS.join(', ')}`);
  }
  return loadAnywhere(typeof input === 'string' ? modelUrl(input) : input, options);
}

function modelUrl(input: string): URL {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(input, page);
  } catch {
    throw new TypeError(`load(model): '${input}' is not a URL; the browser build reads a model by URL or from its files`);
  }
}
