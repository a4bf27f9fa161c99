// The native backend at every ISA level this CPU runs, against the reference on the parity cases,
// plus out that is the residual array itself, with and without GELU: the epilogue reads each
// residual element before it writes out, so the result is the same to the bit.
import test from 'tape';
import { nativeKernels, type NativeAddon } from '../src/backend/native.js';
import { nativeAddonOrSkip } from './native-addon.js';
import { checkParity } from './parity-cases.js';

function random(length: number, scale: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 12.9898 + length) * scale);
}

function checkResidualAliasing(t: test.Test, addon: NativeAddon): void {
  const [M, K, N] = [45, 1536, 50];
  const inp = random(M * K, 2);
  const weight = new addon.LinearWeight(random(N * K, 1 / Math.sqrt(K)), N, K, 'f32');
  const bias = random(N, 0.5);
  const residual = random(M * N, 1);
  for (const activation of ['none', 'gelu'] as const) {
    const separate = new Float32Array(M * N);
    addon.linear(separate, inp, weight, bias, residual, M, K, N, activation);
    const aliased = residual.slice();
    addon.linear(aliased, inp, weight, bias, aliased, M, K, N, activation);
    const differing = aliased.findIndex((value, i) => !Object.is(value, separate[i]));
    t.equal(differing, -1, `${addon.isa()} linear ${activation}: out === residual gives a separate out's values exactly`);
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
