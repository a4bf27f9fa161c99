// The kernel parity cases: one backend against the TypeScript reference, on random inputs at
// awkward shapes. One tolerance table, per kernel, as max |Δ| ≤ atol + rtol·|expected|.
import type test from 'tape';
import { jsKernels } from '../src/backend/js.js';
import { POOL_MODES, type Activation, type Kernels, type LinearWeight, type WeightFormat } from '../src/backend/kernels.js';

export const TOLERANCE = {
  embed: { atol: 0, rtol: 0 },
  linear: { atol: 1e-5, rtol: 1e-4 },
  // the same codes everywhere; only the float sum over blocks differs in rounding
  int8Linear: { atol: 1e-5, rtol: 1e-4 },
  layerNorm: { atol: 1e-5, rtol: 1e-5 },
  attention: { atol: 1e-5, rtol: 1e-4 },
  pool: { atol: 1e-6, rtol: 1e-6 },
};

let seed = 12345;
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
}
export function uniform(length: number, scale = 1): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = (random() * 2 - 1) * scale;
  return values;
}
function integers(length: number, limit: number): Int32Array {
  return Int32Array.from({ length }, () => Math.floor(random() * limit));
}
function lengthsFor(B: number, T: number): Int32Array {
  // the last sequence always fills T, the others are shorter: T bounds them but is no row stride
  return Int32Array.from({ length: B }, (_, b) => (b === B - 1 ? T : 1 + Math.floor(random() * T)));
}

export type Tolerance = { atol: number; rtol: number };
function worst(found: Float32Array, expected: Float32Array, tolerance: Tolerance): { excess: number; at: number } {
  let excess = -Infinity;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const over = Math.abs(found[i] - expected[i]) - (tolerance.atol + tolerance.rtol * Math.abs(expected[i]));
    if (!(over <= excess) || Number.isNaN(found[i])) {
      excess = Number.isNaN(found[i]) ? Infinity : over;
      at = i;
    }
  }
  return { excess, at };
}

/** A Linear weight input, handed over through linearWeight as a model's are. */
export interface LinearWeightInput {
  data: Float32Array;
  N: number;
  K: number;
  format?: WeightFormat;
}

/**
 * Runs `call` on a backend and on the reference with the same inputs; returns what is wrong with
 * the backend's output (its worst element past the tolerance), or undefined when it is within.
 */
export function mismatch(
  backend: Kernels, tolerance: Tolerance, outLength: number,
  inputs: (Float32Array | LinearWeightInput)[], call: (k: Kernels, out: unknown, bufs: unknown[]) => void,
): string | undefined {
  const run = (k: Kernels): Float32Array => {
    const bufs = inputs.map((input) => {
      if (!(input instanceof Float32Array)) return k.linearWeight(input.data, input.N, input.K, input.format ?? 'f32');
      const buf = k.alloc(input.length);
      k.write(buf, input);
      return buf;
    });
    const out = k.alloc(outLength);
    call(k, out, bufs);
    const result = k.read(out, outLength);
    bufs.forEach((buf, i) => inputs[i] instanceof Float32Array && k.free(buf));
    k.free(out);
    return result;
  };
  const expected = run(jsKernels as Kernels);
  const found = run(backend);
  const { excess, at } = worst(found, expected, tolerance);
  return excess <= 0 ? undefined : `worst element ${at} found ${found[at]} expected ${expected[at]}`;
}

function compare(
  t: test.Test, backend: Kernels, label: string, tolerance: Tolerance, outLength: number,
  inputs: (Float32Array | LinearWeightInput)[], call: (k: Kernels, out: unknown, bufs: unknown[]) => void,
): void {
  const problem = mismatch(backend, tolerance, outLength, inputs, call);
  t.ok(problem === undefined, `${backend.name} ${label}${problem ? `: ${problem}` : ''}`);
}

const LINEAR_SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 17, 5], [17, 383, 769], [1, 769, 1537], [33, 384, 1536], [7, 1536, 384], [64, 768, 768], [5, 3072, 17],
  // more rows than one cache block of a blocked GEMM, K past two blocks, N not a multiple of 16
  [201, 1031, 97],
];
const ROW_SHAPES: [number, number][] = [[1, 1], [3, 17], [17, 383], [5, 768], [2, 1537]];
const ATTENTION_SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1], [2, 3, 2, 5], [3, 17, 12, 32], [2, 129, 12, 64], [1, 383, 3, 17],
];

/** Every kernel of `k` at every case shape, one assertion per case. */
export function checkParity(t: test.Test, k: Kernels): void {
  for (const [N, C] of ROW_SHAPES) {
    const V = 7;
    const P = N + 2;
    for (const withTypes of [true, false]) {
      const ids = integers(N, V);
      const positionIds = integers(N, P);
      const typeIds = withTypes ? integers(N, 2) : null;
      compare(t, k, `embed N=${N} C=${C} types=${withTypes}`, TOLERANCE.embed, N * C,
        [uniform(V * C), uniform(P * C), uniform(2 * C)],
        (kk, out, [words, positions, types]) =>
          kk.embed(out, ids, positionIds, typeIds, words, positions, withTypes ? types : null, N, C, V, P, 2));
    }
  }
  for (const [M, K, N] of LINEAR_SHAPES) {
    for (const activation of ['none', 'gelu'] as Activation[]) {
      for (const withResidual of [false, true]) {
        compare(t, k, `linear M=${M} K=${K} N=${N} ${activation} residual=${withResidual}`, TOLERANCE.linear, M * N,
          [uniform(M * K, 2), { data: uniform(N * K, 1 / Math.sqrt(K)), N, K }, uniform(N, 0.5), uniform(M * N)],
          (kk, out, [inp, weight, bias, residual]) =>
            kk.linear(out, inp, weight as LinearWeight, bias, withResidual ? residual : null, M, K, N, activation));
      }
    }
  }
  for (const [M, C] of ROW_SHAPES) {
    compare(t, k, `layerNorm M=${M} C=${C}`, TOLERANCE.layerNorm, M * C,
      [uniform(M * C, 3), uniform(C), uniform(C)],
      (kk, out, [inp, gamma, beta]) => kk.layerNorm(out, inp, gamma, beta, M, C, 1e-5));
  }
  for (const [B, T, NH, HS] of ATTENTION_SHAPES) {
    const lengths = lengthsFor(B, T);
    const rows = lengths.reduce((sum, length) => sum + length, 0);
    const C = NH * HS;
    for (const withBias of [false, true]) {
      compare(t, k, `attention B=${B} T=${T} NH=${NH} HS=${HS} bias=${withBias}`, TOLERANCE.attention, rows * C,
        [uniform(rows * C, 2), uniform(rows * C, 2), uniform(rows * C), uniform(NH * T * T)],
        (kk, out, [q, kk_, v, bias]) => kk.attention(out, q, kk_, v, withBias ? bias : null, lengths, B, T, NH, HS));
    }
  }
  for (const mode of POOL_MODES) {
    for (const [B, T, C] of [[1, 1, 1], [3, 17, 384], [2, 129, 769]]) {
      const lengths = lengthsFor(B, T);
      const rows = lengths.reduce((sum, length) => sum + length, 0);
      compare(t, k, `pool ${mode} B=${B} T=${T} C=${C}`, TOLERANCE.pool, B * C, [uniform(rows * C)],
        (kk, out, [hidden]) => kk.pool(out, hidden, lengths, B, C, mode));
    }
  }
}
