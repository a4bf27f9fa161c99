// GFLOP/s of the wasm linear kernel, per prebuilt module, at the shapes of a MiniLM / MPNet
// forward (M = B·T tokens: 416 is 32 STS-B sentences of ~13 tokens). Each (C,4C) layer runs
// with the GELU epilogue and each (4C,C) one with the residual epilogue, as in the models.
// Every shape is validated against a float64 dot product before it is timed. Time is this
// process's CPU time, not wall time, so other work on a shared machine does not count against it.
import { loadWasmKernels, supportedWasmVariants, type WasmKernels, type WasmVariant } from '../src/backend/wasm.js';
import { gelu } from '../src/backend/js.js';
import type { Activation } from '../src/backend/kernels.js';

const ROWS = [416, 128];
const LAYERS: [number, number][] = [[384, 384], [384, 1536], [1536, 384], [768, 768], [768, 3072], [3072, 768]];
const MIN_SECONDS = 0.5;

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
  residual: boolean;
  inp: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  residualData: Float32Array;
}

/** The largest |Δ| over a few rows, against float64 sums of the same inputs. */
function checkRows(c: Case, out: Float32Array): number {
  let worst = 0;
  for (const m of [0, 1, c.M >> 1, c.M - 1]) {
    for (let n = 0; n < c.N; n++) {
      let sum = 0;
      for (let k = 0; k < c.K; k++) sum += c.inp[m * c.K + k] * c.weight[n * c.K + k];
      let y = sum + c.bias[n];
      if (c.activation === 'gelu') y = gelu(y);
      if (c.residual) y += c.residualData[m * c.N + n];
      worst = Math.max(worst, Math.abs(out[m * c.N + n] - y) / (1 + Math.abs(y)));
    }
  }
  return worst;
}

function gflops(k: WasmKernels, c: Case): number {
  const inp = k.weight(c.inp);
  const weight = k.weight(c.weight);
  const bias = k.weight(c.bias);
  const out = k.alloc(c.M * c.N);
  const residual = c.residual ? k.weight(c.residualData) : null;
  const run = () => k.linear(out, inp, weight, bias, residual, c.M, c.K, c.N, c.activation);
  run();
  const error = checkRows(c, k.read(out, c.M * c.N));
  if (!(error < 1e-4)) throw new Error(`${k.variant} M=${c.M} K=${c.K} N=${c.N}: off by ${error} against float64`);
  let runs = 0;
  const start = process.cpuUsage();
  let seconds = 0;
  while (seconds < MIN_SECONDS || runs < 3) {
    run();
    runs++;
    const used = process.cpuUsage(start);
    seconds = (used.user + used.system) / 1e6;
  }
  [inp, weight, bias, out, ...(residual === null ? [] : [residual])].forEach((buffer) => k.free(buffer));
  return (2 * c.M * c.K * c.N * runs) / seconds / 1e9;
}

async function main(): Promise<void> {
  const variants: WasmVariant[] = supportedWasmVariants().reverse();
  const kernels = await Promise.all(variants.map((variant) => loadWasmKernels({ variant })));
  console.log(`| M | K | N | epilogue | ${variants.map((v) => `${v} GFLOP/s`).join(' | ')} |`);
  console.log(`|---|---|---|---|${variants.map(() => '---:').join('|')}|`);
  for (const M of ROWS) {
    for (const [K, N] of LAYERS) {
      const activation: Activation = N > K ? 'gelu' : 'none';
      const residual = K > N;
      const c: Case = {
        M, K, N, activation, residual,
        inp: uniform(M * K, 1), weight: uniform(N * K, 1 / Math.sqrt(K)), bias: uniform(N, 0.5), residualData: uniform(M * N, 1),
      };
      const rates = kernels.map((k) => gflops(k, c).toFixed(2));
      const epilogue = activation === 'gelu' ? 'gelu' : residual ? 'residual' : 'bias';
      console.log(`| ${M} | ${K} | ${N} | ${epilogue} | ${rates.join(' | ')} |`);
    }
  }
}

await main();
