// The kernel suite: every kernel a forward pass calls, at the shapes of one model and one batch
// (B sentences of T tokens), on every backend and ISA level this machine runs, each target's cases
// sampled by one Benchmark.Suite. Every case's inputs are made once and handed to every backend,
// and each backend's output is checked against the TypeScript reference before it is timed.
// Linear rates are set against the FMA peak the native addon measures per ISA level and thread
// count (fmaPeak: independent FMA chains on every pool thread).
import { jsKernels } from '../backend/js.js';
import type { Activation, BackendName, Kernels, WeightFormat } from '../backend/kernels.js';
import { loadNativeAddon, nativeKernels, type NativeAddon, type NativeIsa } from '../backend/native.js';
import { loadWasmKernels, supportedWasmVariants } from '../backend/wasm.js';
import { runSuite, type Sampling } from './harness.js';
import type { Estimate } from './stats.js';

/** The sizes of a BERT-style encoder the cases take their shapes from. */
export interface ModelShape {
  /** Where the shape came from: a model's config.json, or the built-in default. */
  source: string;
  C: number;
  F: number;
  NH: number;
  V: number;
  P: number;
}

/** all-MiniLM-L6-v2's sizes: the shape a user without a model folder most likely runs. */
export const MINILM_SHAPE: ModelShape = { source: 'all-MiniLM-L6-v2 sizes (built in)', C: 384, F: 1536, NH: 12, V: 30522, P: 512 };

/** The batch the kernels see: B sentences of T tokens each. */
export interface KernelBatch {
  B: number;
  T: number;
}

/** About what 8 STS-B sentences tokenize to. */
export const DEFAULT_BATCH: KernelBatch = { B: 8, T: 16 };
// A slice of the word table: ids land on random rows, as real ones do, without a 47 MB copy per backend.
const EMBED_ROWS = 8192;
const PEAK_SECONDS = 0.15;

interface Tolerance {
  atol: number;
  rtol: number;
}
// Per kernel, as the parity tests: the GEMMs sum in different orders, the rest nearly agree.
const TOLERANCES: Record<string, Tolerance> = {
  linear: { atol: 1e-5, rtol: 1e-4 },
  attention: { atol: 1e-5, rtol: 1e-4 },
  layerNorm: { atol: 1e-5, rtol: 1e-5 },
  'embed+pool': { atol: 1e-5, rtol: 1e-5 },
};

export interface KernelCase {
  kernel: 'linear' | 'attention' | 'layerNorm' | 'embed+pool';
  /** Shape and variant, e.g. 'M=128 K=384 N=1536 gelu f32'. */
  shape: string;
  /** Floating-point (or, for int8, integer multiply-add) operations per call; null where memory bound. */
  flops: number | null;
  format?: WeightFormat;
  activation?: Activation;
  outLength: number;
  /** Puts the case's inputs into `k`'s storage and returns the call to time. */
  prepare<Buf>(k: Kernels<Buf>): { run(): void; output(): Float32Array; release(): void };
}

let seed = 1;
function uniform(length: number, scale: number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    values[i] = (seed / 4294967296 * 2 - 1) * scale;
  }
  return values;
}

/** `data` in `k`'s storage; every buffer it made is released by the returned function. */
function storage<Buf>(k: Kernels<Buf>) {
  const made: Buf[] = [];
  return {
    put(data: Float32Array): Buf {
      const buffer = k.alloc(data.length);
      k.write(buffer, data);
      made.push(buffer);
      return buffer;
    },
    scratch(length: number): Buf {
      const buffer = k.alloc(length);
      made.push(buffer);
      return buffer;
    },
    release: () => made.forEach((buffer) => k.free(buffer)),
  };
}

function linearCase(M: number, K: number, N: number, epilogue: 'bias' | 'gelu' | 'residual', format: WeightFormat): KernelCase {
  const inp = uniform(M * K, 1);
  const weight = uniform(N * K, 1 / Math.sqrt(K));
  const bias = uniform(N, 0.5);
  const residual = epilogue === 'residual' ? uniform(M * N, 1) : null;
  const activation: Activation = epilogue === 'gelu' ? 'gelu' : 'none';
  return {
    kernel: 'linear', shape: `M=${M} K=${K} N=${N} ${epilogue} ${format}`, flops: 2 * M * K * N, format, activation,
    outLength: M * N,
    prepare(k) {
      const buffers = storage(k);
      const out = buffers.scratch(M * N);
      const [inpBuf, biasBuf] = [buffers.put(inp), buffers.put(bias)];
      const residualBuf = residual && buffers.put(residual);
      const weightHandle = k.linearWeight(weight, N, K, format);
      return {
        run: () => k.linear(out, inpBuf, weightHandle, biasBuf, residualBuf, M, K, N, activation),
        output: () => k.read(out, M * N),
        release: buffers.release,
      };
    },
  };
}

function attentionCase(shape: ModelShape, { B, T }: KernelBatch): KernelCase {
  const M = B * T;
  const HS = shape.C / shape.NH;
  const [q, key, v] = [uniform(M * shape.C, 1), uniform(M * shape.C, 1), uniform(M * shape.C, 1)];
  const lengths = new Int32Array(B).fill(T);
  return {
    kernel: 'attention', shape: `B=${B} T=${T} NH=${shape.NH} HS=${HS}`,
    // q·kᵀ and p·v: two products of T×T×HS multiply-adds per head and sequence
    flops: 4 * B * shape.NH * T * T * HS, outLength: M * shape.C,
    prepare(k) {
      const buffers = storage(k);
      const out = buffers.scratch(M * shape.C);
      const [qBuf, kBuf, vBuf] = [buffers.put(q), buffers.put(key), buffers.put(v)];
      return {
        run: () => k.attention(out, qBuf, kBuf, vBuf, null, lengths, B, T, shape.NH, HS),
        output: () => k.read(out, M * shape.C),
        release: buffers.release,
      };
    },
  };
}

function layerNormCase(shape: ModelShape, M: number): KernelCase {
  const { C } = shape;
  const [inp, gamma, beta] = [uniform(M * C, 2), uniform(C, 1), uniform(C, 0.1)];
  return {
    kernel: 'layerNorm', shape: `M=${M} C=${C}`, flops: null, outLength: M * C,
    prepare(k) {
      const buffers = storage(k);
      const out = buffers.scratch(M * C);
      const [inpBuf, gammaBuf, betaBuf] = [buffers.put(inp), buffers.put(gamma), buffers.put(beta)];
      return {
        run: () => k.layerNorm(out, inpBuf, gammaBuf, betaBuf, M, C, 1e-12),
        output: () => k.read(out, M * C),
        release: buffers.release,
      };
    },
  };
}

function embedPoolCase(shape: ModelShape, { B, T }: KernelBatch): KernelCase {
  const M = B * T;
  const { C } = shape;
  const V = Math.min(shape.V, EMBED_ROWS);
  const P = Math.min(shape.P, T);
  const [words, positions, types] = [uniform(V * C, 1), uniform(P * C, 1), uniform(2 * C, 1)];
  const ids = Int32Array.from(uniform(M, 1), (x) => Math.floor(Math.abs(x) * V) % V);
  const positionIds = Int32Array.from({ length: M }, (_, i) => i % T);
  const typeIds = new Int32Array(M);
  const lengths = new Int32Array(B).fill(T);
  return {
    kernel: 'embed+pool', shape: `M=${M} C=${C} V=${V} mean`, flops: null, outLength: B * C,
    prepare(k) {
      const buffers = storage(k);
      const [hidden, out] = [buffers.scratch(M * C), buffers.scratch(B * C)];
      const [wordsBuf, positionsBuf, typesBuf] = [buffers.put(words), buffers.put(positions), buffers.put(types)];
      return {
        run: () => {
          k.embed(hidden, ids, positionIds, typeIds, wordsBuf, positionsBuf, typesBuf, M, C, V, P, 2);
          k.pool(out, hidden, lengths, B, C, 'mean');
        },
        output: () => k.read(out, B * C),
        release: buffers.release,
      };
    },
  };
}

/**
 * The cases of one forward pass at `shape`: each Linear shape with the epilogue the model gives it
 * (C→F once more without GELU, so the GELU epilogue's cost is the difference), per weight format.
 */
export function kernelCases(shape: ModelShape, formats: WeightFormat[], batch: KernelBatch): KernelCase[] {
  const { C, F } = shape;
  const M = batch.B * batch.T;
  const linears = formats.flatMap((format) => [
    linearCase(M, C, C, 'bias', format),
    linearCase(M, C, F, 'bias', format),
    linearCase(M, C, F, 'gelu', format),
    linearCase(M, F, C, 'residual', format),
  ]);
  return [...linears, attentionCase(shape, batch), layerNormCase(shape, M), embedPoolCase(shape, batch)];
}

/** A backend at one ISA level or module and thread count. */
export interface KernelTarget {
  backend: BackendName;
  /** The native ISA level, the wasm module, or 'reference' for js. */
  variant: string;
  threads: number;
  kernels: Kernels<unknown>;
  /** Makes this the level and thread count every call uses (the native addon's are process-wide). */
  activate(): void;
}

/** The FMA peak of one ISA level at one thread count, in GFLOP per CPU-second (per core) and per second (all threads). */
export interface Peak {
  isa: NativeIsa;
  threads: number;
  perCore: number;
  machine: number;
}

/** Every target of `backends` this machine runs, native ones at each thread count. */
export async function kernelTargets(backends: BackendName[], threadCounts: number[]): Promise<{ targets: KernelTarget[]; addon?: NativeAddon; skipped: string[] }> {
  const targets: KernelTarget[] = [];
  const skipped: string[] = [];
  let addon: NativeAddon | undefined;
  if (backends.includes('native')) {
    try {
      const native = await loadNativeAddon();
      const kernels = nativeKernels(native) as Kernels<unknown>;
      for (const { name: isa } of native.isaLevels().filter((level) => level.supported).reverse()) {
        for (const threads of threadCounts) {
          targets.push({ backend: 'native', variant: isa, threads, kernels, activate: () => { native.setIsa(isa); native.setThreads(threads); } });
        }
      }
      addon = native;
    } catch (error) {
      skipped.push(`native: ${(error as Error).message}`);
    }
  }
  if (backends.includes('wasm')) {
    for (const variant of supportedWasmVariants()) {
      const kernels = (await loadWasmKernels({ variant })) as Kernels<unknown>;
      targets.push({ backend: 'wasm', variant, threads: 1, kernels, activate: () => {} });
    }
  }
  if (backends.includes('js')) targets.push({ backend: 'js', variant: 'reference', threads: 1, kernels: jsKernels as Kernels<unknown>, activate: () => {} });
  return { targets, addon, skipped };
}

/** The FMA peak of every native ISA level at every thread count, the addon left as it was found. */
export function measurePeaks(addon: NativeAddon, threadCounts: number[]): Peak[] {
  const [initialIsa, initialThreads] = [addon.isa(), addon.threads()];
  const peaks: Peak[] = [];
  for (const { name: isa } of addon.isaLevels().filter((level) => level.supported).reverse()) {
    addon.setIsa(isa);
    for (const threads of threadCounts) {
      addon.setThreads(threads);
      const perCore = addon.fmaPeak(PEAK_SECONDS);
      peaks.push({ isa, threads, perCore, machine: perCore * threads });
    }
  }
  addon.setIsa(initialIsa);
  addon.setThreads(initialThreads);
  return peaks;
}

export interface KernelResult {
  kernel: KernelCase['kernel'];
  shape: string;
  backend: BackendName;
  variant: string;
  threads: number;
  /** Largest |found − reference| / (atol + rtol·|reference|) before timing; at most 1 passes. */
  checked: number;
  /** Calls per second (wall), with RME and samples; absent when the case could not run. */
  hz?: Estimate;
  /** Milliseconds per call (wall), same RME. */
  ms?: Estimate;
  gflops?: Estimate;
  /** GFLOP per CPU-second of the whole process, pool threads included. */
  gflopsPerCpuSecond?: number;
  /** gflops as a percentage of `peakGflops`; f32 linear and attention only. */
  percentOfPeak?: Estimate;
  /** The peak the percentage is of: this ISA level at this thread count, or for wasm and js one core of the best level. */
  peakGflops?: number;
  error?: string;
}

function worstExcess(found: Float32Array, expected: Float32Array, tolerance: Tolerance): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(found[i] - expected[i]) / (tolerance.atol + tolerance.rtol * Math.abs(expected[i]));
    if (!(excess <= worst)) worst = excess;  // NaN sticks
  }
  return worst;
}

function peakFor(target: KernelTarget, peaks: Peak[]): number | undefined {
  if (target.backend === 'native') return peaks.find((p) => p.isa === target.variant && p.threads === target.threads)?.machine;
  // wasm and js run on one core: their ceiling is that core at the best level
  return Math.max(0, ...peaks.filter((p) => p.threads === 1).map((p) => p.perCore)) || undefined;
}

/**
 * Whether `target` times `kernelCase`. The js backend runs the int8 Linear only as the reference
 * the others are checked against: timing it would take most of a quick run for a backend nobody
 * picks for speed.
 */
function timesCase(target: KernelTarget, kernelCase: KernelCase): boolean {
  return !(target.backend === 'js' && kernelCase.format === 'i8');
}

/** Checks, then samples, every case on every target; `progress` hears of each target as it starts. */
export async function runKernelSuite(
  targets: KernelTarget[], cases: KernelCase[], peaks: Peak[], sampling: Sampling, progress: (label: string) => void = () => {},
): Promise<KernelResult[]> {
  const references = cases.map((kernelCase) => {
    const prepared = kernelCase.prepare(jsKernels);
    prepared.run();
    return prepared.output();
  });
  const results: KernelResult[] = [];
  for (const target of targets) {
    const label = `${target.backend} ${target.variant} ×${target.threads}`;
    progress(label);
    target.activate();
    const entries = cases.flatMap((kernelCase, index) => {
      if (!timesCase(target, kernelCase)) return [];
      const row: KernelResult = {
        kernel: kernelCase.kernel, shape: kernelCase.shape, backend: target.backend, variant: target.variant, threads: target.threads, checked: NaN,
      };
      const prepared = kernelCase.prepare(target.kernels);
      try {
        prepared.run();
        row.checked = worstExcess(prepared.output(), references[index], TOLERANCES[kernelCase.kernel]);
        if (!(row.checked <= 1)) row.error = `output off the reference by ${row.checked.toExponential(2)}× the tolerance`;
      } catch (error) {
        row.error = (error as Error).message;
      }
      return [{ kernelCase, prepared, row }];
    });
    const timed = entries.filter(({ row }) => row.error === undefined);
    const timings = await runSuite(label, timed.map(({ row, prepared }) => ({ name: row.shape, run: prepared.run })), sampling);
    const peak = peakFor(target, peaks);
    timed.forEach(({ kernelCase: { flops, format }, row }, position) => {
      const timing = timings[position];
      if (timing instanceof Error) {
        row.error = timing.message;
        return;
      }
      row.hz = timing.hz;
      row.ms = { ...timing.hz, value: 1000 / timing.hz.value };
      if (flops === null) return;
      row.gflops = { ...timing.hz, value: (timing.hz.value * flops) / 1e9 };
      row.gflopsPerCpuSecond = flops / timing.cpuSecondsPerCall / 1e9;
      if (peak !== undefined && format !== 'i8') {
        row.peakGflops = peak;
        row.percentOfPeak = { ...row.gflops, value: (100 * row.gflops.value) / peak };
      }
    });
    entries.forEach(({ prepared }) => prepared.release());
    results.push(...entries.map(({ row }) => row));
  }
  return results;
}
