// The reference backend against values worked out by hand or from closed forms, and the
// shape checks every backend is wrapped in.
import test from 'tape';
import { gelu, jsKernels as k } from '../src/backend/js.js';
import { KernelShapeError, withShapeChecks } from '../src/backend/kernels.js';

const f32 = (...values: number[]) => Float32Array.from(values);
function close(t: test.Test, found: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string) {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(found[i] - expected[i]));
  t.ok(found.length >= expected.length && worst <= tolerance, `${label}: max |Δ| ${worst.toExponential(2)} ≤ ${tolerance}`);
}

test('gelu matches x·Φ(x) at known points', (t) => {
  // Φ(1) = 0.8413447460685429, Φ(-1) = 0.15865525393145707, Φ(2) = 0.9772498680518208
  close(t, [gelu(0), gelu(1), gelu(-1), gelu(2), gelu(-6)], [0, 0.8413447460685429, -0.15865525393145707,
    2 * 0.9772498680518208, -6 * 9.865876450376946e-10], 2e-7, 'gelu');
  t.end();
});

test('linear computes X·Wᵀ + b, then GELU, then the residual', (t) => {
  const out = new Float32Array(4);
  // X (2,3), W (2,3): rows of X·Wᵀ are [1·1+2·0+3·1, 1·0+2·1+3·0] = [4, 2] and [0+0+1, 0+1+0] = [1, 1]
  const weight = k.linearWeight(f32(1, 0, 1, 0, 1, 0), 2, 3, 'f32');
  k.linear(out, f32(1, 2, 3, 0, 1, 1), weight, f32(0.5, -1), f32(10, 20, 30, 40), 2, 3, 2, 'none');
  close(t, out, [14.5, 21, 31.5, 40], 0, 'linear with residual');
  k.linear(out, f32(1, 2, 3, 0, 1, 1), weight, f32(0.5, -1), null, 2, 3, 2, 'gelu');
  close(t, out, [gelu(4.5), gelu(1), gelu(1.5), gelu(0)], 1e-6, 'linear with gelu');
  t.end();
});

test('layerNorm normalizes each row with the biased variance', (t) => {
  const out = new Float32Array(3);
  // mean 2, variance 2/3
  k.layerNorm(out, f32(1, 2, 3), f32(1, 2, 1), f32(0, 0, 5), 1, 3, 1e-12);
  const s = Math.sqrt(1.5);
  close(t, out, [-s, 0, 5 + s], 1e-6, 'layerNorm');
  t.end();
});

test('attention: each sequence sees only its own keys; equal scores average the values', (t) => {
  const out = new Float32Array(4);
  // two sequences of one token (B=2, T=1, NH=1, HS=2): each returns its own value
  k.attention(out, f32(1, 0, 0, 1), f32(3, 1, 9, 9), f32(5, 6, 7, 8), null, Int32Array.of(1, 1), 2, 1, 1, 2);
  close(t, out, [5, 6, 7, 8], 1e-6, 'separate sequences');
  // zero queries give equal scores: the output is the mean of the values
  k.attention(out, f32(0, 0, 0, 0), f32(3, 1, 9, 9), f32(5, 6, 7, 8), null, Int32Array.of(2), 1, 2, 1, 2);
  close(t, out, [6, 7, 6, 7], 1e-6, 'uniform attention');
  // a position bias of ln 3 on the second key weights it 3:1
  const bias = f32(0, Math.log(3), 0, Math.log(3));
  k.attention(out, f32(0, 0, 0, 0), f32(3, 1, 9, 9), f32(5, 6, 7, 8), bias, Int32Array.of(2), 1, 2, 1, 2);
  close(t, out, [6.5, 7.5, 6.5, 7.5], 1e-6, 'biased attention');
  // a sequence shorter than T reads the bias's top-left block: lengths 2 and 1, T=2
  const three = new Float32Array(6);
  k.attention(three, new Float32Array(6), f32(3, 1, 9, 9, 4, 4), f32(5, 6, 7, 8, 1, 2), bias, Int32Array.of(2, 1), 2, 2, 1, 2);
  close(t, three, [6.5, 7.5, 6.5, 7.5, 1, 2], 1e-6, 'short sequence after a full one');
  t.end();
});

test('pool: every sentence-transformers mode over each sequence\'s own tokens', (t) => {
  // B=2, C=2: a sequence of two tokens, then one of a single token that must not count for it
  const hidden = f32(1, -2, 3, 4, 100, 100);
  const lengths = Int32Array.of(2, 1);
  const pooled = (mode: Parameters<typeof k.pool>[5]) => {
    const out = new Float32Array(4);
    k.pool(out, hidden, lengths, 2, 2, mode);
    return out;
  };
  close(t, pooled('cls'), [1, -2, 100, 100], 0, 'cls');
  close(t, pooled('lastToken'), [3, 4, 100, 100], 0, 'lastToken');
  close(t, pooled('max'), [3, 4, 100, 100], 0, 'max');
  close(t, pooled('mean'), [2, 1, 100, 100], 1e-7, 'mean');
  close(t, pooled('meanSqrtLen'), [4 / Math.SQRT2, 2 / Math.SQRT2, 100, 100], 1e-6, 'meanSqrtLen');
  close(t, pooled('weightedMean'), [(1 + 2 * 3) / 3, (-2 + 2 * 4) / 3, 100, 100], 1e-6, 'weightedMean');
  t.end();
});

test('shape checks name the kernel and the operand', (t) => {
  const checked = withShapeChecks(k);
  const expectError = (fn: () => void, pattern: RegExp, label: string) => {
    try {
      fn();
      t.fail(`${label}: no error`);
    } catch (error) {
      t.ok(error instanceof KernelShapeError && pattern.test((error as Error).message), `${label}: ${(error as Error).message}`);
    }
  };
  const weight = checked.linearWeight(new Float32Array(6), 2, 3, 'f32');
  expectError(() => checked.linear(new Float32Array(4), new Float32Array(5), weight, new Float32Array(2), null, 2, 3, 2, 'none'),
    /linear: inp holds 5 floats, needs 6/, 'short input');
  expectError(() => checked.linear(new Float32Array(4), new Float32Array(6), weight, new Float32Array(2), null, 2, 3, 2.5, 'none'),
    /linear: N must be a positive integer/, 'fractional size');
  expectError(() => checked.linear(new Float32Array(6), new Float32Array(6), weight, new Float32Array(3), null, 2, 3, 3, 'none'),
    /linear: weight was made for N=2, K=3, not N=3, K=3/, 'a weight used with another N');
  expectError(() => checked.linear(new Float32Array(4), new Float32Array(6), new Float32Array(6) as never, new Float32Array(2), null, 2, 3, 2, 'none'),
    /linear: weight must be a LinearWeight from linearWeight\(\)/, 'a bare array as the weight');
  expectError(() => checked.linear(new Float32Array(4), new Float32Array(6), { N: 2, K: 3, format: 'f32' }, new Float32Array(2), null, 2, 3, 2, 'none'),
    /linear: weight is not a LinearWeight of the js backend/, 'a look-alike weight');
  expectError(() => checked.linearWeight(new Float32Array(5), 2, 3, 'f32'), /linearWeight: data holds 5 floats, needs 6/, 'short Linear weight');
  expectError(() => checked.linearWeight(new Float32Array(6), 2, 3, 'q4' as never), /linearWeight: unknown format q4 \(f32, i8\)/, 'unknown format');
  expectError(() => checked.embed(new Float32Array(4), Int32Array.of(0, 7), Int32Array.of(0, 1), null,
    new Float32Array(14), new Float32Array(4), null, 2, 2, 7, 2, 1), /embed: ids\[1\] = 7 is outside 0..6/, 'id out of range');
  expectError(() => checked.attention(new Float32Array(4), new Float32Array(4), new Float32Array(4), new Float32Array(4), null,
    Int32Array.of(3), 1, 2, 1, 2), /attention: lengths\[0\] = 3 is outside 1..2/, 'length over T');
  expectError(() => checked.layerNorm(new Float32Array(3), new Float32Array(3), new Float32Array(3), new Float32Array(3), 1, 3, 0),
    /layerNorm: eps must be positive/, 'zero eps');
  t.end();
});
