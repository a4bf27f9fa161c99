// Backend selection: native when its addon loads, else WASM, else the TypeScript reference.
// The reasons a backend could not load are kept so the final choice can explain itself.
// native.ts is imported only under Node, so browsers and bundlers never reach it (nor the
// addon path it resolves) from load().

import { BACKEND_NAMES, type BackendName, type Kernels } from './kernels.js';
import { jsKernels } from './js.js';
import { loadWasmKernels, type WasmModules } from './wasm.js';

/** What a backend may be handed instead of finding it itself. */
export interface BackendInputs {
  wasmModules?: WasmModules;
}

type Loader = (inputs: BackendInputs) => Promise<Kernels>;

const loaders: Record<BackendName, Loader> = {
  native: async () => {
    if (typeof process === 'undefined' || !process.versions?.node) throw new Error('the native addon needs Node.js');
    const { loadNativeKernels } = await import(/* webpackIgnore: true */ /* @vite-ignore */ './native.js');
    return (await loadNativeKernels()) as Kernels;
  },
  wasm: async ({ wasmModules }) => (await loadWasmKernels({ modules: wasmModules })) as Kernels,
  js: async () => jsKernels as Kernels,
};

async function load(name: BackendName, inputs: BackendInputs = {}): Promise<Kernels> {
  return loaders[name](inputs);
}

export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

function parseName(name: string, origin: string): BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new BackendUnavailableError(`unknown backend '${name}' (${origin}); valid backends: ${BACKEND_NAMES.join(', ')}`);
  }
  return name as BackendName;
}

/** Loads one backend by name, or throws saying why it cannot run here. */
export async function loadBackend(name: string, inputs: BackendInputs = {}): Promise<Kernels> {
  const backend = parseName(name, 'requested');
  try {
    return await load(backend, inputs);
  } catch (error) {
    throw new BackendUnavailableError(`backend '${backend}' cannot run here: ${(error as Error).message}`);
  }
}

/**
 * The backend to use: `requested`, else $SENTVEC_BACKEND, else the first of native, wasm, js
 * that loads. An explicit choice that cannot load is an error, never a silent fallback.
 */
export async function selectBackend(requested?: string, inputs: BackendInputs = {}): Promise<Kernels> {
  const explicit = requested ?? (typeof process === 'undefined' ? undefined : process.env.SENTVEC_BACKEND);
  if (explicit) return loadBackend(explicit, inputs);
  const reasons: string[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      return await load(name, inputs);
    } catch (error) {
      reasons.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new BackendUnavailableError(`no backend could load:\n  ${reasons.join('\n  ')}`);
}

/** Every backend that loads on this machine, for tests that compare them. */
export async function availableBackends(): Promise<Kernels[]> {
  const found: Kernels[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      found.push(await load(name));
    } catch {
      // a backend absent here is simply not compared
    }
  }
  return found;
}
