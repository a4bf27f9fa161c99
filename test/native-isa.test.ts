// The native backend at every ISA level this CPU runs, against the reference on the parity cases,
// plus what only the native GEMM's blocking reaches: out that is the residual array itself, with
// GELU (K run as one block) and without (epilogue folded into the first K block).
import test from 'tape';
import { nativeKernels, type NativeAddon } from '../src/backend/native.js';
import { nativeAddonOrSkip } from './native-addon.js';
import { checkParity, TOLERANCE } from './parity-cases.js';

function maxExcess(found: Float32Array, expected: Float32Array, tolerance: { atol: number; rtol: number }): number {
  let excess = -Infinity;
  for (let i = 0; i < expected.length; i++) {
    const over = Math.abs(found[i] - expected[i]) - (tolerance.atol + tolerance.rtol * Math.abs(expected[i]));
    excess = Number.isNaN(over) ? Infinity : Math.max(excess, over);
  }
  return excess;
}

function random(length: number, scale: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 12.9898 + length) * scale);
}

function checkResidualAliasing(t: test.Test, addon: NativeAddon): void {
  const [M, K, N] = [45, 1536, 50];
  const inp = random(M * K, 2);
  const weight = random(N * K, 1 / Math.sqrt(K));
  const bias = random(N, 0.5);
  const residual = random(M * N, 1);
  for (const activation of ['none', 'gelu'] as const) {
    const separate = new Float32Array(M * N);
    addon.linear(separate, inp, weight, bias, residual, M, K, N, activation);
    const aliased = residual.slice();
    addon.linear(aliased, inp, weight, bias, aliased, M, K, N, activation);
    const excess = maxExcess(aliased, separate, TOLERANCE.linear);
    t.ok(excess <= 0, `${addon.isa()} linear ${activation}: out === residual matches a separate out (excess ${excess})`);
  }
}

test('native ISA levels: parity at every level this CPU runs', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return t.end();
  const initial = addon.isa();
  const levels = addon.isaLevels();
  t.comment(`levels in this build: ${levels.map((l) => `${l.name}${l.supported ? '' : ' (not on this CPU)'}`).join(', ')}`);
  const best = levels.filter((l) => l.supported).at(-1)?.name;
  t.equal(initial, process.env.SENTVEC_ISA || best, `${initial} is active: $SENTVEC_ISA, else the best level`);
  try {
    for (const level of levels) {
      if (!level.supported) {
        t.throws(() => addon.setIsa(level.name), new RegExp(`this CPU cannot run ISA level '${level.name}'`),
          `${level.name} is refused on this CPU, so it is not tested here`);
        continue;
      }
      addon.setIsa(level.name);
      t.equal(addon.isa(), level.name, `switched to ${level.name}`);
      checkParity(t, nativeKernels(addon));
      checkResidualAliasing(t, addon);
    }
    t.throws(() => addon.setIsa('sse9' as never), /unknown ISA level 'sse9'; this build has scalar/);
  } finally {
    addon.setIsa(initial);
  }
  t.end();
});
