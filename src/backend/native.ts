// Native backend: the C++ kernels of native/, from the package's prebuilds/ (native/prebuild.mjs)
// or built by `npm install` (native/build.mjs, cmake-js) into build/Release/sentvec.node. Buffers
// are plain Float32Arrays the addon reads and writes in place; weights are the caller's arrays
// (copies the checkpoint made), except Linear weights, which the addon packs once into memory of
// its own behind a LinearWeight handle.
// Node built-ins are imported only inside the loader: browsers load index.ts, and so this file.

import { float32ArrayStorage, type Activation, type Kernels, type LinearWeight, type PoolMode, type WeightFormat } from './kernels.js';
import type { FileMapper } from '../sources/source.js';

/** The addon's exports. Each kernel validates its arguments itself and throws a JS Error on bad ones. */
export interface NativeAddon {
  embed(
    out: Float32Array, ids: Int32Array, positionIds: Int32Array, typeIds: Int32Array | null,
    words: Float32Array, positions: Float32Array, types: Float32Array | null,
    N: number, C: number, V: number, P: number, TV: number,
  ): void;
  linear(
    out: Float32Array, inp: Float32Array, weight: LinearWeight, bias: Float32Array, residual: Float32Array | null,
    M: number, K: number, N: number, activation: Activation,
  ): void;
  /**
   * The (N,K) Linear weight packed for the GEMM into addon memory that JS never sees (freed when
   * the handle is collected); linear takes only these. Pages of a mapFile mapping the weight
   * covered are given back to the OS.
   */
  LinearWeight: {
    new (weight: Float32Array, N: number, K: number, format: WeightFormat): NativeLinearWeight;
    /** An i8 weight quantized earlier: codes (N,K) in -127..127 and scales (N, ceil(K/32)), packed as the i8 format packs. */
    new (codes: Int8Array, scales: Float32Array, N: number, K: number): NativeLinearWeight;
  };
  layerNorm(out: Float32Array, inp: Float32Array, gamma: Float32Array, beta: Float32Array, M: number, C: number, eps: number): void;
  attention(
    out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, positionBias: Float32Array | null,
    lengths: Int32Array, B: number, T: number, NH: number, HS: number,
  ): void;
  pool(out: Float32Array, hidden: Float32Array, lengths: Int32Array, B: number, C: number, mode: PoolMode): void;

  /** Every ISA level this build holds, best last, and whether this CPU runs it. */
  isaLevels(): { name: NativeIsa; supported: boolean }[];
  /**
   * The GEMM's register tile (input rows × weight columns) of every ISA level, those this CPU or
   * architecture cannot run included: LinearWeight pads a weight's columns to fit each of them.
   */
  linearTiles(): { isa: NativeIsa; rows: number; columns: number }[];
  /** The level every kernel call uses: $SENTVEC_ISA at load, else the best supported. */
  isa(): NativeIsa;
  /** Switches the level for the whole process; throws for a level this build or CPU lacks. */
  setIsa(name: NativeIsa): void;
  /** Threads GEMM, attention and layer norm split over ($SENTVEC_THREADS, else every core). */
  threads(): number;
  setThreads(threads: number): void;
  /**
   * GFLOP per CPU-second of an FMA-throughput loop at the active level on every thread: the
   * GEMM's per-core ceiling, which other work on a shared machine barely moves.
   */
  fmaPeak(seconds: number): number;
  /**
   * The whole file as a private copy-on-write memory mapping (POSIX builds only), read at load
   * from the page cache instead of copied into a Buffer; unmapFile ends it once the graph is built.
   */
  mapFile?(path: string): ArrayBuffer;
  /** Returns freed heap memory to the OS (glibc malloc_trim; a no-op elsewhere). */
  trimMemory?(): void;
  /** Detaches a mapFile buffer and unmaps the file now; a no-op on an empty or unmapped buffer. */
  unmapFile?(buffer: ArrayBuffer): void;
  /** Gives back the whole pages of bytes inside a mapFile mapping (read again if touched); else a no-op. */
  releasePages?(bytes: Uint8Array): void;
}

/** The addon's LinearWeight: also says how many bytes of addon memory its packed copy holds. */
export interface NativeLinearWeight extends LinearWeight {
  readonly bytes: number;
}

export type NativeIsa = 'scalar' | 'avx2' | 'avx512' | 'neon';

/** Where the addon was loaded from, and every place looked at before it with why it was passed over. */
export interface NativeAddonSource {
  file: string;
  from: 'SENTVEC_NATIVE_ADDON' | 'prebuild' | 'local build';
  skipped: string[];
}

/** A native addon that cannot load, with the reason for every place it was looked for. */
export class NativeAddonError extends Error {
  constructor(readonly skipped: string[]) {
    super(skipped.join('; '));
    this.name = 'NativeAddonError';
  }
}

type Require = (id: string) => unknown;

// The package's binaries, one per platform (native/prebuild.mjs builds them). Literal paths, so
// bundlers can see each .node file and copy or externalize it.
function requirePrebuild(require: Require, target: string): unknown {
  switch (target) {
    case 'linux-x64': return require('../../../prebuilds/linux-x64/sentvec.node');
    case 'linux-x64-musl': return require('../../../prebuilds/linux-x64-musl/sentvec.node');
    case 'linux-arm64': return require('../../../prebuilds/linux-arm64/sentvec.node');
    case 'linux-arm64-musl': return require('../../../prebuilds/linux-arm64-musl/sentvec.node');
    case 'darwin-x64': return require('../../../prebuilds/darwin-x64/sentvec.node');
    case 'darwin-arm64': return require('../../../prebuilds/darwin-arm64/sentvec.node');
    case 'win32-x64': return require('../../../prebuilds/win32-x64/sentvec.node');
    default: throw new Error(`no prebuild for ${target}`);
  }
}

/** This process's prebuild name: platform-arch, plus -musl for a Linux whose C library is musl. */
export async function prebuildTarget(): Promise<string> {
  const target = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return target;
  // Node's report names the glibc it runs on; a runtime without one (Bun) is asked which
  // C library its process has mapped
  const header = (process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  if (header?.glibcVersionRuntime) return target;
  const { readFileSync } = await import('node:fs');
  let maps = '';
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    // no /proc: glibc, the common case
  }
  return /\/ld-musl-|\/libc\.musl-/.test(maps) ? `${target}-musl` : target;
}

type FoundAddon = { addon: NativeAddon; source: NativeAddonSource };
// The search of this thread, by the variables that steer it: a load asks several times (backend
// choice, file mapping, the worker's own), and each search hashes the prebuild and asks Node for
// a diagnostic report. A failed search is not kept, so a build made later is found.
let lastSearch: { key: string; found: Promise<FoundAddon> } | undefined;

/**
 * Finds the addon: $SENTVEC_NATIVE_ADDON when set; else this platform's prebuild, when its
 * sha256 matches prebuilds/manifest.json and $SENTVEC_BUILD_FROM_SOURCE is not 1; else the local
 * build build/Release/sentvec.node. Throws a NativeAddonError with each step's reason otherwise.
 */
export function findNativeAddon(): Promise<FoundAddon> {
  if (typeof process === 'undefined' || !process.versions?.node) {
    return Promise.reject(new NativeAddonError(['the native addon needs Node.js']));
  }
  const key = `${process.env.SENTVEC_NATIVE_ADDON ?? ''}\0${process.env.SENTVEC_BUILD_FROM_SOURCE ?? ''}`;
  if (lastSearch?.key === key) return lastSearch.found;
  const search = { key, found: searchNativeAddon() };
  lastSearch = search;
  search.found.catch(() => {
    if (lastSearch === search) lastSearch = undefined;
  });
  return search.found;
}

async function searchNativeAddon(): Promise<FoundAddon> {
  const [{ createRequire }, { existsSync, readFileSync }, { fileURLToPath }, { createHash }] = await Promise.all([
    import('node:module'), import('node:fs'), import('node:url'), import('node:crypto'),
  ]);
  const require = createRequire(import.meta.url);
  const loaded = (from: NativeAddonSource['from'], file: string, addon: unknown, skipped: string[]) =>
    ({ addon: addon as NativeAddon, source: { file, from, skipped } });

  const override = process.env.SENTVEC_NATIVE_ADDON;
  if (override) {
    try {
      return loaded('SENTVEC_NATIVE_ADDON', override, require(override), []);
    } catch (error) {
      throw new NativeAddonError([`SENTVEC_NATIVE_ADDON: cannot load ${override}: ${(error as Error).message}`]);
    }
  }

  const skipped: string[] = [];
  const target = await prebuildTarget();
  const prebuild = fileURLToPath(new URL(`../../../prebuilds/${target}/sentvec.node`, import.meta.url));
  if (process.env.SENTVEC_BUILD_FROM_SOURCE === '1') {
    skipped.push('prebuild: skipped, SENTVEC_BUILD_FROM_SOURCE=1');
  } else {
    try {
      const manifest = fileURLToPath(new URL('../../../prebuilds/manifest.json', import.meta.url));
      if (!existsSync(manifest)) throw new Error(`${manifest} is missing (npm run prebuilds makes it)`);
      const expected = (JSON.parse(readFileSync(manifest, 'utf8')) as { binaries: Record<string, { sha256: string } | undefined> }).binaries[target];
      if (!expected) throw new Error(`no prebuild for ${target} in ${manifest}`);
      if (!existsSync(prebuild)) throw new Error(`${prebuild} is missing`);
      const sha256 = createHash('sha256').update(readFileSync(prebuild)).digest('hex');
      if (sha256 !== expected.sha256) throw new Error(`${prebuild} has sha256 ${sha256}, the manifest says ${expected.sha256}`);
      return loaded('prebuild', prebuild, requirePrebuild(require, target), skipped);
    } catch (error) {
      skipped.push(`prebuild: ${(error as Error).message}`);
    }
  }

  const local = fileURLToPath(new URL('../../../build/Release/sentvec.node', import.meta.url));
  if (!existsSync(local)) {
    skipped.push(`local build: ${local} is missing; npm install builds it where no prebuild matches and cmake, a C++ compiler and the devDependencies cmake-js and node-addon-api are installed`);
    throw new NativeAddonError(skipped);
  }
  try {
    return loaded('local build', local, require(local), skipped);
  } catch (error) {
    skipped.push(`local build: cannot load ${local}: ${(error as Error).message}`);
    throw new NativeAddonError(skipped);
  }
}

/** The addon findNativeAddon() finds, or throws saying why none loads. */
export async function loadNativeAddon(): Promise<NativeAddon> {
  return (await findNativeAddon()).addon;
}

/** The kernel interface over an addon; `addon` is injectable so tests can wrap or replace it. */
export function nativeKernels(addon: NativeAddon): Kernels<Float32Array> {
  return {
    name: 'native',
    ...float32ArrayStorage,
    linearWeight: (data, N, K, format) => new addon.LinearWeight(data, N, K, format),
    quantizedLinearWeight: (codes, scales, N, K) => new addon.LinearWeight(codes, scales, N, K),
    embed: (out, ids, positionIds, typeIds, words, positions, types, N, C, V, P, TV) =>
      addon.embed(out, ids, positionIds, typeIds, words, positions, types, N, C, V, P, TV),
    linear: (out, inp, weight, bias, residual, M, K, N, activation) =>
      addon.linear(out, inp, weight, bias, residual, M, K, N, activation),
    layerNorm: (out, inp, gamma, beta, M, C, eps) => addon.layerNorm(out, inp, gamma, beta, M, C, eps),
    attention: (out, q, k, v, positionBias, lengths, B, T, NH, HS) =>
      addon.attention(out, q, k, v, positionBias, lengths, B, T, NH, HS),
    pool: (out, hidden, lengths, B, C, mode) => addon.pool(out, hidden, lengths, B, C, mode),
  };
}

/**
 * Maps model.safetensors instead of reading it, where the addon can (POSIX builds): that saves a
 * copy of the whole file in memory and the time to make it. The graph copies or packs every tensor
 * it keeps, and unmapAll ends the mappings once it is built, so nothing that happens to the file
 * later can reach the model. A file that cannot be mapped (missing, say) is read the usual way,
 * which reports the problem.
 */
export async function safetensorsMapper(): Promise<FileMapper & { unmapAll(): void }> {
  const addon = await loadNativeAddon();
  const mapped: ArrayBuffer[] = [];
  return {
    map(file) {
      if (!addon.mapFile || !file.endsWith('.safetensors')) return undefined;
      try {
        const buffer = addon.mapFile(file);
        mapped.push(buffer);
        return new Uint8Array(buffer);
      } catch {
        return undefined;
      }
    },
    release: (bytes) => addon.releasePages?.(bytes),
    unmapAll: () => {
      for (const buffer of mapped.splice(0)) addon.unmapFile?.(buffer);
    },
  };
}

export async function loadNativeKernels(): Promise<Kernels<Float32Array>> {
  return nativeKernels(await loadNativeAddon());
}
