// GFLOP per CPU-second of the wasm linear kernel, per prebuilt module, at the shapes of
// bench/common.ts. Every shape is checked against the TypeScript reference on a few rows before it is timed.
import { loadWasmKernels, supportedWasmVariants, type WasmKernels, type WasmVariant } from '../src/backend/wasm.js';
import { checkGemmRows, gemmCases, gflopsPerCpuSecond, type GemmCase } from './common.js';

const MIN_SECONDS = 0.5;

function gflops(k: WasmKernels, c: GemmCase): number {
  const inp = k.weight(c.inp);
  const weight = k.linearWeight(c.weight, c.N, c.K, 'f32');
  const bias = k.weight(c.bias);
  const out = k.alloc(c.M * c.N);
  const residual = c.residual ? k.weight(c.residual) : null;
  const run = () => k.linear(out, inp, weight, bias, residual, c.M, c.K, c.N, c.activation);
  run();
  const error = checkGemmRows(c, k.read(out, c.M * c.N));
  if (!(error < 1e-4)) throw new Error(`${k.variant} M=${c.M} K=${c.K} N=${c.N}: off by ${error} against the reference`);
  const rate = gflopsPerCpuSecond(c, run, MIN_SECONDS, 3);
  [inp, bias, out, ...(residual === null ? [] : [residual])].forEach((buffer) => k.free(buffer));
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
