// GFLOP/s of the native linear kernel at every ISA level this CPU runs, beside that level's
// measured FMA peak (addon.fmaPeak: independent FMA chains on every pool thread). Shapes are those
// of a MiniLM / MPNet forward, M = B·T tokens (416 is 32 STS-B sentences of ~13 tokens); each
// (C,4C) layer runs with the GELU epilogue and each (4C,C) one with the residual, as in the models.
// Every shape is checked against the TypeScript reference on a few rows before it is timed.
import { jsKernels } from '../src/backend/js.js';
import type { Activation } from '../src/backend/kernels.js';
import { loadNativeAddon, type NativeAddon, type NativeIsa } from '../src/backend/native.js';

const ROWS = [416, 128];
const LAYERS: [number, number][] = [[384, 384], [384, 1536], [1536, 384], [768, 768], [768, 3072], [3072, 768]];
const MIN_SECONDS = 0.4;
const PEAK_SECONDS = 0.3;

let seed = 1;
function uniform(length: number, scale: number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    values[i] = (seed / 4294967296 * 2 - 1) * scale;
  }
  return values;
}

interface Case {
  M: number;
  K: number;
  N: number;
  activation: Activation;
  inp: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  residual: Float32Array | null;
}

/** Largest |Δ| / (1 + |expected|) over a few rows, against the reference kernel on those rows. */
function checkRows(c: Case, out: Float32Array): number {
  let worst = 0;
  for (const m of [0, c.M >> 1, c.M - 1]) {
    const expected = new Float32Array(c.N);
    const residualRow = c.residual ? c.residual.subarray(m * c.N, (m + 1) * c.N) : null;
    jsKernels.linear(expected, c.inp.subarray(m * c.K, (m + 1) * c.K), c.weight, c.bias, residualRow, 1, c.K, c.N, c.activation);
    for (let n = 0; n < c.N; n++) {
      worst = Math.max(worst, Math.abs(out[m * c.N + n] - expected[n]) / (1 + Math.abs(expected[n])));
    }
  }
  return worst;
}

function gflops(addon: NativeAddon, c: Case): number {
  const out = new Float32Array(c.M * c.N);
  const run = () => addon.linear(out, c.inp, c.weight, c.bias, c.residual, c.M, c.K, c.N, c.activation);
  run();
  const error = checkRows(c, out);
  if (!(error < 1e-4)) throw new Error(`${addon.isa()} M=${c.M} K=${c.K} N=${c.N}: off by ${error} against the reference`);
  let runs = 0;
  let best = Infinity;
  const start = performance.now();
  while (performance.now() - start < MIN_SECONDS * 1000 || runs < 5) {
    const begin = performance.now();
    run();
    best = Math.min(best, performance.now() - begin);
    runs++;
  }
  return (2 * c.M * c.K * c.N) / (best / 1000) / 1e9;
}

async function main(): Promise<void> {
  let addon: NativeAddon;
  try {
    addon = await loadNativeAddon();
  } catch (error) {
    console.log(`native addon unavailable, nothing to benchmark: ${(error as Error).message}`);
    return;
  }
  const initial = addon.isa();
  const levels: NativeIsa[] = addon.isaLevels().filter((l) => l.supported).map((l) => l.name);
  // The peak is re-measured before every row and the best kept, like the GEMM's best run, so a
  // busy machine lowers both rather than inflating the ratio.
  const peaks = new Map<NativeIsa, number>();
  const measurePeaks = () => {
    for (const level of levels) {
      addon.setIsa(level);
      peaks.set(level, Math.max(peaks.get(level) ?? 0, addon.fmaPeak(PEAK_SECONDS)));
    }
  };
  const rows: { label: string; rates: number[] }[] = [];
  for (const M of ROWS) {
    for (const [K, N] of LAYERS) {
      const activation: Activation = N > K ? 'gelu' : 'none';
      const c: Case = {
        M, K, N, activation,
        inp: uniform(M * K, 1), weight: uniform(N * K, 1 / Math.sqrt(K)), bias: uniform(N, 0.5),
        residual: K > N ? uniform(M * N, 1) : null,
      };
      measurePeaks();
      const rates = levels.map((level) => {
        addon.setIsa(level);
        return gflops(addon, c);
      });
      const epilogue = activation === 'gelu' ? 'gelu' : c.residual ? 'residual' : 'bias';
      rows.push({ label: `| ${M} | ${K} | ${N} | ${epilogue} |`, rates });
    }
  }
  addon.setIsa(initial);

  console.log(`${addon.threads()} threads; best of ≥5 runs over ≥${MIN_SECONDS} s per cell; % of the level's best FMA peak\n`);
  console.log(`| M | K | N | epilogue | ${levels.map((l) => `${l} GFLOP/s (% peak)`).join(' | ')} |`);
  console.log(`|---|---|---|---|${levels.map(() => '---:').join('|')}|`);
  console.log(`| | | | FMA peak | ${levels.map((l) => peaks.get(l)!.toFixed(1)).join(' | ')} |`);
  for (const { label, rates } of rows) {
    const cells = rates.map((rate, i) => `${rate.toFixed(1)} (${((100 * rate) / peaks.get(levels[i])!).toFixed(0)} %)`);
    console.log(`${label} ${cells.join(' | ')} |`);
  }
}

await main();
