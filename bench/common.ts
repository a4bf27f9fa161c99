// What the benches share. The linear-layer shapes both GEMM benches (gemm.ts, wasm-gemm.ts) time:
// those of a MiniLM / MPNet forward, M = B·T tokens (416 is 32 STS-B sentences of ~13 tokens, 14
// one of them);
// each (C,4C) layer runs with the GELU epilogue and each (4C,C) one with the residual, as in the
// models. Time is process CPU time, so other work on a shared machine does not count against it.
import type { Activation } from '../src/backend/kernels.js';
import { jsKernels } from '../src/backend/js.js';

const ROWS = [416, 128, 14];
const LAYERS: [number, number][] = [[384, 384], [384, 1536], [1536, 384], [768, 768], [768, 3072], [3072, 768]];

export interface GemmCase {
  M: number;
  K: number;
  N: number;
  activation: Activation;
  inp: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  residual: Float32Array | null;
  /** 'gelu', 'residual' or 'bias': what runs after the product. */
  epilogue: string;
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

/** Every shape, in table order, each with fresh deterministic inputs. */
export function* gemmCases(): Generator<GemmCase> {
  for (const M of ROWS) {
    for (const [K, N] of LAYERS) {
      const activation: Activation = N > K ? 'gelu' : 'none';
      const inp = uniform(M * K, 1);
      const weight = uniform(N * K, 1 / Math.sqrt(K));
      const bias = uniform(N, 0.5);
      const residual = K > N ? uniform(M * N, 1) : null;
      const epilogue = activation === 'gelu' ? 'gelu' : residual ? 'residual' : 'bias';
      yield { M, K, N, activation, inp, weight, bias, residual, epilogue };
    }
  }
}

/** CPU-seconds this process has used since `since` (every thread's). */
export function cpuSeconds(since?: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/**
 * GFLOP per CPU-second of `run`, a product of c's shape: the best of windows of at least
 * `windowSeconds` (and `minRuns` runs) within `totalSeconds`. Best-of, like the FMA peak it is set
 * against, since other tenants of a shared host only ever slow a window down.
 */
export function gflopsPerCpuSecond(c: GemmCase, run: () => void, totalSeconds: number, minRuns: number, windowSeconds = 0.05): number {
  let best = 0;
  const overall = process.cpuUsage();
  do {
    let runs = 0;
    const start = process.cpuUsage();
    let seconds = 0;
    while (seconds < windowSeconds || runs < minRuns) {
      run();
      runs++;
      seconds = cpuSeconds(start);
    }
    best = Math.max(best, (2 * c.M * c.K * c.N * runs) / seconds / 1e9);
  } while (cpuSeconds(overall) < totalSeconds);
  return best;
}

/**
 * Largest |Δ| / (1 + |expected|) of `out` over a few rows (first, second, middle, last), against
 * the TypeScript reference kernel on those rows: each GEMM bench checks before it times.
 */
export function checkGemmRows(c: GemmCase, out: Float32Array): number {
  let worst = 0;
  const reference = jsKernels.linearWeight(c.weight, c.N, c.K, 'f32');
  for (const m of [0, Math.min(1, c.M - 1), c.M >> 1, c.M - 1]) {
    const expected = new Float32Array(c.N);
    const residualRow = c.residual ? c.residual.subarray(m * c.N, (m + 1) * c.N) : null;
    jsKernels.linear(expected, c.inp.subarray(m * c.K, (m + 1) * c.K), reference, c.bias, residualRow, 1, c.K, c.N, c.activation);
    for (let n = 0; n < c.N; n++) {
      worst = Math.max(worst, Math.abs(out[m * c.N + n] - expected[n]) / (1 + Math.abs(expected[n])));
    }
  }
  return worst;
}
