// GFLOP per CPU-second of the wasm linear kernel, per prebuilt module, at the shapes of
// bench/common.ts. Every shape is validated against a float64 dot product before it is timed.
import { loadWasmKernels, supportedWasmVariants, type WasmKernels, type WasmVariant } from '../src/backend/wasm.js';
import { gelu } from '../src/backend/js.js';
import { gemmCases, gflopsPerCpuSecond, type GemmCase } from './common.js';

const MIN_SECONDS = 0.5;

/** The largest |Δ| over a few rows, against float64 sums of the same inputs. */
function checkRows(c: GemmCase, out: Float32Array): number {
  let worst = 0;
  for (const m of [0, 1, c.M >> 1, c.M - 1]) {
    for (let n = 0; n < c.N; n++) {
      let sum = 0;
      for (let k = 0; k < c.K; k++) sum += c.inp[m * c.K + k] * c.weight[n * c.K + k];
      let y = sum + c.bias[n];
      if (c.activation === 'gelu') y = gelu(y);
      if (c.residual) y += c.residual[m * c.N + n];
      worst = Math.max(worst, Math.abs(out[m * c.N + n] - y) / (1 + Math.abs(y)));
    }
  }
  return worst;
}

function gflops(k: WasmKernels, c: GemmCase): number {
  const inp = k.weight(c.inp);
  const weight = k.weight(c.weight);
  const bias = k.weight(c.bias);
  const out = k.alloc(c.M * c.N);
  const residual = c.residual ? k.weight(c.residual) : null;
  const run = () => k.linear(out, inp, weight, bias, residual, c.M, c.K, c.N, c.activation);
  run();
  const error = checkRows(c, k.read(out, c.M * c.N));
  if (!(error < 1e-4)) throw new Error(`${k.variant} M=${c.M} K=${c.K} N=${c.N}: off by ${error} against float64`);
  const rate = gflopsPerCpuSecond(c, run, MIN_SECONDS, 3);
  [inp, weight, bias, out, ...(residual === null ? [] : [residual])].forEach((buffer) => k.free(buffer));
  return rate;
}

async function main(): Promise<void> {
  const variants: WasmVariant[] = supportedWasmVariants().reverse();
  const kernels = await Promise.all(variants.map((variant) => loadWasmKernels({ variant })));
  console.log(`| M | K | N | epilogue | ${variants.map((v) => `${v} GFLOP/s`).join(' | ')} |`);
  console.log(`|---|---|---|---|${variants.map(() => '---:').join('|')}|`);
  for (const c of gemmCases()) {
    const rates = kernels.map((k) => gflops(k, c).toFixed(2));
    console.log(`| ${c.M} | ${c.K} | ${c.N} | ${c.epilogue} | ${rates.join(' | ')} |`);
  }
}

await main();
