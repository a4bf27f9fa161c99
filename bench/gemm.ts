// GFLOP per CPU-second of the native linear kernel at every ISA level this CPU runs, beside that
// level's FMA peak per CPU-second (addon.fmaPeak: independent FMA chains on every pool thread), at
// the shapes of bench/common.ts, on weights packed once as a model's are. CPU time, of every
// thread, makes both per-core rates that a busy machine barely moves, and counts a pool thread's
// spinning against the GEMM. Every shape is checked against the TypeScript reference on a few
// rows before it is timed.
import { loadNativeAddon, type NativeAddon, type NativeIsa } from '../src/backend/native.js';
import { checkGemmRows, gemmCases, gflopsPerCpuSecond, type GemmCase } from './common.js';

const MIN_SECONDS = 0.4;
const PEAK_SECONDS = 0.3;

function gflops(addon: NativeAddon, c: GemmCase): number {
  const out = new Float32Array(c.M * c.N);
  const weight = new addon.LinearWeight(c.weight, c.N, c.K, 'f32');
  const run = () => addon.linear(out, c.inp, weight, c.bias, c.residual, c.M, c.K, c.N, c.activation);
  run();
  const error = checkGemmRows(c, out);
  if (!(error < 1e-4)) throw new Error(`${addon.isa()} M=${c.M} K=${c.K} N=${c.N}: off by ${error} against the reference`);
  return gflopsPerCpuSecond(c, run, MIN_SECONDS, 5);
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
  // The peak is re-measured before every row and the best kept, so a stretch of heavy cache or
  // memory traffic from other work lowers both rather than inflating the ratio.
  const peaks = new Map<NativeIsa, number>();
  const measurePeaks = () => {
    for (const level of levels) {
      addon.setIsa(level);
      peaks.set(level, Math.max(peaks.get(level) ?? 0, addon.fmaPeak(PEAK_SECONDS)));
    }
  };
  const rows: { label: string; rates: number[] }[] = [];
  for (const c of gemmCases()) {
    measurePeaks();
    const rates = levels.map((level) => {
      addon.setIsa(level);
      return gflops(addon, c);
    });
    rows.push({ label: `| ${c.M} | ${c.K} | ${c.N} | ${c.epilogue} |`, rates });
  }
  addon.setIsa(initial);

  console.log(`${addon.threads()} threads; best 0.05 CPU-s window of ${MIN_SECONDS} CPU-s per cell; GFLOP per CPU-second and % of the level's best FMA peak\n`);
  console.log(`| M | K | N | epilogue | ${levels.map((l) => `${l} GFLOP/CPU-s (% peak)`).join(' | ')} |`);
  console.log(`|---|---|---|---|${levels.map(() => '---:').join('|')}|`);
  console.log(`| | | | FMA peak | ${levels.map((l) => peaks.get(l)!.toFixed(1)).join(' | ')} |`);
  for (const { label, rates } of rows) {
    const cells = rates.map((rate, i) => `${rate.toFixed(1)} (${((100 * rate) / peaks.get(levels[i])!).toFixed(0)} %)`);
    console.log(`${label} ${cells.join(' | ')} |`);
  }
}

await main();
