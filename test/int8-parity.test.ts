// The int8 Linear on every backend against the reference arithmetic of src/backend/int8.ts. The
// integer part is compared to the bit: with one-hot operands of code 127 (scale exactly 1) an
// output reveals a single code of the other operand, so every activation and weight code (ties
// to even included) and every exact block sum must be what the reference computes. Then random
// shapes within the linear tolerance, at every native ISA level.
import test from 'tape';
import { jsKernels } from '../src/backend/js.js';
import type { Kernels } from '../src/backend/kernels.js';
import { compiledConfigurations, nativeAddonOrSkip } from './native-addon.js';
import { mismatch, TOLERANCE, uniform } from './parity-cases.js';

/** out (M,N) of an int8 linear with zero bias, no activation, no residual. */
function run(k: Kernels, inp: Float32Array, weight: Float32Array, M: number, K: number, N: number): Float32Array {
  const handle = k.linearWeight(weight, N, K, 'i8');
  const [input, bias, out] = [k.alloc(M * K), k.alloc(N), k.alloc(M * N)];
  k.write(input, inp);
  k.write(bias, new Float32Array(N));
  k.linear(out, input, handle, bias, null, M, K, N, 'none');
  const result = k.read(out, M * N);
  for (const buffer of [input, bias, out]) k.free(buffer);
  return result;
}

function firstDifference(found: Float32Array, expected: Float32Array): string | undefined {
  const at = found.findIndex((value, i) => !Object.is(value, expected[i]));
  return at < 0 ? undefined : `element ${at}: ${found[at]}, reference ${expected[at]}`;
}

// 127 on the diagonal: codes exactly 127, scale exactly 1
function scaledIdentity(size: number): Float32Array {
  const values = new Float32Array(size * size);
  for (let i = 0; i < size; i++) values[i * size + i] = 127;
  return values;
}

// (rows, K) random floats whose every block of 32 has maximum |x| 127 (inverse scale exactly 1),
// with x.5 ties; `integers` rounds them all, so codes equal values.
function blocksOf127(rows: number, K: number, integers = false): Float32Array {
  const values = uniform(rows * K, 126);
  for (let i = 0; i < values.length; i += 7) values[i] = Math.trunc(values[i]) + 0.5;
  for (let r = 0; r < rows; r++) for (let k = 0; k < K; k += 32) values[r * K + k] = (r + k) % 64 === 0 ? 127 : -127;
  return integers ? values.map(Math.round) : values;
}

// values with NaN and infinities in rows 1..4 of 32 (row 0 stays finite)
function nonFinite(values: Float32Array): Float32Array {
  values[32 + 3] = NaN;
  values[64 + 7] = Infinity;
  values[96 + 1] = -Infinity;
  values[96 + 30] = NaN;
  values[128 + 5] = Infinity;
  values[128 + 6] = -Infinity;
  return values;
}

// (rows, K) values whose blocks' max |x| lies below 127 / 3.4e38, so that the reference's inverse
// scale overflows to ∞ and its clamps alone make the codes (zeros, which become NaN, give 0)
function tinyBlocks(rows: number, K: number): Float32Array {
  return uniform(rows * K, 1e-38).map((value, i) => (i % 5 === 0 ? 0 : value));
}

// (rows, K) values ±127 (codes ±127, scale 1), the sign fixed per row: every product is ±127²
function extremes(rows: number, K: number, negative: (row: number) => boolean): Float32Array {
  const values = new Float32Array(rows * K);
  for (let r = 0; r < rows; r++) values.fill(negative(r) ? -127 : 127, r * K, (r + 1) * K);
  return values;
}

test('int8 linear: activation codes, weight codes and block sums equal the reference to the bit', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  const initial = addon?.isa();
  const B = 32;
  const cases = [
    // each output = activation scale · 127 · one activation code
    { label: 'activation codes', inp: uniform(13 * B, 3), weight: scaledIdentity(B), M: 13, K: B, N: B },
    { label: 'activation codes at ties', inp: blocksOf127(9, B), weight: scaledIdentity(B), M: 9, K: B, N: B },
    // each output = weight scale · 127 · one weight code
    { label: 'weight codes', inp: scaledIdentity(B), weight: uniform(40 * B, 0.05), M: B, K: B, N: 40 },
    { label: 'weight codes at ties', inp: scaledIdentity(B), weight: blocksOf127(40, B), M: B, K: B, N: 40 },
    // integer codes of scale 1 over 30 blocks (the last one short): exact sums below 2²⁴
    { label: 'exact sums over 30 blocks', inp: blocksOf127(5, 950, true), weight: blocksOf127(70, 950, true), M: 5, K: 950, N: 70 },
    // a NaN or infinity in a block: the codes the reference's scalar loop makes of it
    { label: 'non-finite activations', inp: nonFinite(uniform(6 * B, 3)), weight: scaledIdentity(B), M: 6, K: B, N: B },
    { label: 'activation blocks too small for a finite inverse scale', inp: tinyBlocks(6, B), weight: scaledIdentity(B), M: 6, K: B, N: B },
    { label: 'weight blocks too small for a finite inverse scale', inp: scaledIdentity(B), weight: tinyBlocks(40, B), M: B, K: B, N: 40 },
    // the largest pair (2·127²) and block (32·127²) sums of either sign, where a saturating
    // 16-bit pair sum (vpmaddubsw on unsigned activations) or a -128 would show; 30 blocks stay below 2²⁴
    { label: 'extreme codes', inp: extremes(7, 960, (r) => r % 2 === 1), weight: extremes(40, 960, (n) => n % 3 === 0), M: 7, K: 960, N: 40 },
  ];
  try {
    for (const { label, kernels, enter } of await compiledConfigurations(t)) {
      enter();
      for (const c of cases) {
        const expected = run(jsKernels as Kernels, c.inp, c.weight, c.M, c.K, c.N);
        const problem = firstDifference(run(kernels, c.inp, c.weight, c.M, c.K, c.N), expected);
        t.ok(problem === undefined, `${label}: ${c.label} (M=${c.M} K=${c.K} N=${c.N})${problem ? `: ${problem}` : ''}`);
      }
    }
  } finally {
    if (addon && initial) addon.setIsa(initial);
  }
});

test('int8 linear: random shapes within the linear tolerance of the reference', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  const initial = addon?.isa();
  const shapes: [number, number, number][] = [];
  for (let K = 1; K <= 70; K += 3) for (let N = 1; N <= 70; N += 5) shapes.push([1 + ((K + N) % 13), K, N]);
  shapes.push([37, 384, 1536], [9, 1536, 384], [130, 768, 200], [3, 312, 3]);
  try {
    for (const { label, kernels, enter } of await compiledConfigurations(t)) {
      enter();
      const problems: string[] = [];
      for (const [M, K, N] of shapes) {
        const activation = (K + N) % 2 === 0 ? 'gelu' : 'none';
        const problem = mismatch(kernels, TOLERANCE.int8Linear, M * N,
          [uniform(M * K, 2), { data: uniform(N * K, 1 / Math.sqrt(K)), N, K, format: 'i8' }, uniform(N, 0.5), uniform(M * N)],
          (k, out, [i, w, b, r]) => k.linear(out, i, w as never, b, (M + N) % 3 === 0 ? null : r, M, K, N, activation));
        if (problem) problems.push(`M=${M} K=${K} N=${N}: ${problem}`);
      }
      t.deepEqual(problems.slice(0, 5), [], `${label}: ${shapes.length} shapes within the int8 tolerance`);
    }
  } finally {
    if (addon && initial) addon.setIsa(initial);
  }
});
