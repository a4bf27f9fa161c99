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

/** A backend's kernels; for native also the addon file and the places passed over before it. */
interface Loaded {
  kernels: Kernels;
  addon?: string;
  skipped?: string[];
}

type Loader = (inputs: BackendInputs) => Promise<Loaded>;

const loaders: Record<BackendName, Loader> = {
  native: async () => {
    if (typeof process === 'undefined' || !process.versions?.node) throw new Error('the native addon needs Node.js');
    const { findNativeAddon, nativeKernels } = await import(/* webpackIgnore: true */ /* @vite-ignore */ './native.js');
    const { addon, source } = await findNativeAddon();
    return { kernels: nativeKernels(addon) as Kernels, addon: source.file, skipped: source.skipped };
  },
  wasm: async ({ wasmModules }) => ({ kernels: (await loadWasmKernels({ modules: wasmModules })) as Kernels }),
  js: async () => ({ kernels: jsKernels as Kernels }),
};

async function load(name: BackendName, inputs: BackendInputs = {}): Promise<Loaded> {
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

/** Which backend load() uses here, and why each one before it, or each place looked at for it, was passed over. */
export interface BackendReport {
  backend: BackendName;
  /** The native addon file, when the backend is native. */
  addon?: string;
  /** In the order tried: `native: prebuild: …`, `native: local build: …`, `wasm: …`. */
  skipped: string[];
}

async function choose(requested: string | undefined, inputs: BackendInputs): Promise<{ kernels: Kernels; report: BackendReport }> {
  const explicit = requested ?? (typeof process === 'undefined' ? undefined : process.env.SENTVEC_BACKEND);
  const names = explicit ? [parseName(explicit, 'requested')] : BACKEND_NAMES;
  const skipped: string[] = [];
  for (const name of names) {
    try {
      const { kernels, addon, skipped: passedOver = [] } = await load(name, inputs);
      return { kernels, report: { backend: name, addon, skipped: [...skipped, ...passedOver.map((reason) => `${name}: ${reason}`)] } };
    } catch (error) {
      if (explicit) throw new BackendUnavailableError(`backend '${name}' cannot run here: ${(error as Error).message}`);
      // the native loader's error keeps one reason per place it looked
      const reasons = (error as { skipped?: string[] }).skipped ?? [(error as Error).message];
      skipped.push(...reasons.map((reason) => `${name}: ${reason}`));
    }
  }
  throw new BackendUnavailableError(`no backend could load:\n  ${skipped.join('\n  ')}`);
}

/**
 * The backend to use: `requested`, else $SENTVEC_BACKEND, else the first of native, wasm, js
 * that loads. An explicit choice that cannot load is an error, never a silent fallback.
 */
export async function selectBackend(requested?: string, inputs: BackendInputs = {}): Promise<Kernels> {
  return (await choose(requested, inputs)).kernels;
}

/**
 * Which backend load() picks here (`requested`, else $SENTVEC_BACKEND, else the first of native,
 * wasm, js that loads), the native addon's file, and why each backend or addon place tried before
 * it was passed over (no prebuild for this platform, a sha256 mismatch, no local build, …).
 */
export async function backendReport(requested?: string, inputs: BackendInputs = {}): Promise<BackendReport> {
  return (await choose(requested, inputs)).report;
}

/** Every backend that loads on this machine, for tests that compare them. */
export async function availableBackends(): Promise<Kernels[]> {
  const found: Kernels[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      found.push((await load(name)).kernels);
    } catch {
      // a backend absent here is simply not compared
    }
  }
  return found;
}
