// The GEMM stays inside the buffers it is given at every ISA level, the levels this CPU cannot run
// included: LinearWeight pads a weight's columns for the widest register tile of any level, and
// every N and K from 1 to 70 (and widths real heads use) gives the reference's values on each
// backend, at 1 to 3 threads. Under AddressSanitizer (npm run test:asan) the same
// shapes prove that no read or write leaves its buffer on the levels this CPU runs.
import test from 'tape';
import type { LinearWeight } from '../src/backend/kernels.js';
import { compiledConfigurations, nativeAddonOrSkip } from './native-addon.js';
import { mismatch, TOLERANCE, uniform } from './parity-cases.js';

const SMALL = Array.from({ length: 70 }, (_, i) => i + 1);
// a classifier head (1–3), TinyBERT (312), a Dense layer (200, 256), the model widths
const HEAD_WIDTHS = [1, 2, 3, 200, 256, 312, 384, 768, 1536, 3072];

test('LinearWeight pads the columns past the last tile of every ISA level, runnable here or not', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  const tiles = addon.linearTiles();
  t.deepEqual(tiles.map((tile) => tile.isa).sort(), ['avx2', 'avx512', 'neon', 'scalar'], 'the tile of every level is known');
  const K = 3;
  const problems: string[] = [];
  for (const N of [...SMALL, ...HEAD_WIDTHS]) {
    const columns = new addon.LinearWeight(uniform(N * K), N, K, 'f32').bytes / 4 / K;
    for (const tile of tiles) {
      const lastTileEnd = Math.ceil(N / tile.columns) * tile.columns;
      if (lastTileEnd > columns) problems.push(`${tile.isa} N=${N}: its last tile reads column ${lastTileEnd - 1}, packed ${columns}`);
    }
  }
  t.deepEqual(problems, [], `N = 1..70 and ${HEAD_WIDTHS.join(', ')}: every level's last tile ends inside the packed columns`);
});

test('linear: every N and K in 1..70 equals the reference on every backend, float32 and int8', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  const initial = addon?.isa();
  try {
    for (const { label, kernels, enter } of await compiledConfigurations(t)) {
      enter();
      for (const format of ['f32', 'i8'] as const) {
        const problems: string[] = [];
        for (const K of SMALL) {
          for (const N of SMALL) {
            const M = 1 + ((K + 3 * N) % 13);
            const inp = uniform(M * K, 2);
            const weight = { data: uniform(N * K, 1 / Math.sqrt(K)), N, K, format };
            const bias = uniform(N, 0.5);
            const residual = uniform(M * N);
            const activation = (K + N) % 2 === 0 ? 'gelu' : 'none';
            const problem = mismatch(kernels, format === 'f32' ? TOLERANCE.linear : TOLERANCE.int8Linear, M * N, [inp, weight, bias, residual],
              (k, out, [i, w, b, r]) => k.linear(out, i, w as LinearWeight, b, (M + N) % 3 === 0 ? null : r, M, K, N, activation));
            if (problem) problems.push(`M=${M} K=${K} N=${N}: ${problem}`);
          }
        }
        t.deepEqual(problems.slice(0, 5), [], `${label} ${format}: 4,900 shapes within the linear tolerance`);
      }
    }
  } finally {
    if (addon && initial) addon.setIsa(initial);
  }
});

test('native linear: 1, 2 and 3 threads give the same bits at every N in 1..70 and the head widths, float32 and int8', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  const [initialThreads, initialIsa] = [addon.threads(), addon.isa()];
  // M·K·N past the size below which a product stays on one thread
  const [M, K] = [130, 70];
  const inp = uniform(M * K, 2);
  try {
    for (const level of addon.isaLevels().filter((l) => l.supported)) {
      addon.setIsa(level.name);
      const problems: string[] = [];
      for (const [N, format] of [...SMALL, ...HEAD_WIDTHS].flatMap((n) => [[n, 'f32'], [n, 'i8']] as const)) {
        const weight = new addon.LinearWeight(uniform(N * K, 0.1), N, K, format);
        const bias = uniform(N, 0.5);
        const run = (threads: number) => {
          addon.setThreads(threads);
          const out = new Float32Array(M * N);
          addon.linear(out, inp, weight, bias, null, M, K, N, 'gelu');
          return out;
        };
        const single = run(1);
        for (const threads of [2, 3]) {
          if (run(threads).some((value, i) => !Object.is(value, single[i]))) problems.push(`${format} N=${N} at ${threads} threads`);
        }
      }
      t.deepEqual(problems, [], `${level.name}: M=${M} K=${K}, every N, identical bits at 1, 2 and 3 threads`);
    }
  } finally {
    addon.setThreads(initialThreads);
    addon.setIsa(initialIsa);
  }
});
