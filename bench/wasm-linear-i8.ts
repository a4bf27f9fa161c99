// node --experimental-wasm-relaxed-simd dist/bench/wasm-linear-i8.js [relaxed|simd|scalar]: the
// wasm float32 and int8 Linear, one thread, at all-MiniLM-L6-v2's three shapes (C=384, F=1536)
// for 128 and 256 rows. Each case is first checked against the js reference, then timed in CPU
// time of this process (other work on a shared machine does not count against it): the best of
// 7 rounds of calls filling about 0.2 s each, float32 and int8 rounds taking turns.
import { jsKernels } from '../src/backend/js.js';
import type { Kernels, WeightFormat } from '../src/backend/kernels.js';
import { loadWasmKernels, type WasmVariant } from '../src/backend/wasm.js';
import { mismatch, TOLERANCE, uniform } from '../test/parity-cases.js';
import { cpuSeconds } from './common.js';

const SHAPES: [number, number][] = [[384, 384], [1536, 384], [384, 1536]];
const ROWS = [128, 256];
const ROUNDS = 7;
const ROUND_SECONDS = 0.2;

const variant = (process.argv[2] ?? 'relaxed') as WasmVariant;
const wasm = await loadWasmKernels({ variant });

/** CPU seconds of one call of each, the best of ROUNDS rounds that alternate between them. */
function secondsPerCall(calls: (() => void)[]): number[] {
  const repeats = calls.map((call) => {
    call();
    let count = 1;
    for (let start = process.cpuUsage(); cpuSeconds(start) < ROUND_SECONDS / 4; count *= 2) for (let i = 0; i < count; i++) call();
    return count;
  });
  const best = calls.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    calls.forEach((call, c) => {
      const start = process.cpuUsage();
      for (let i = 0; i < repeats[c]; i++) call();
      best[c] = Math.min(best[c], cpuSeconds(start) / repeats[c]);
    });
  }
  return best;
}

function linearCall(k: Kernels, format: WeightFormat, M: number, N: number, K: number): () => void {
  const weight = k.linearWeight(uniform(N * K, 1 / Math.sqrt(K)), N, K, format);
  const [inp, bias, out] = [k.weight(uniform(M * K, 2)), k.weight(uniform(N, 0.5)), k.alloc(M * N)];
  return () => k.linear(out, inp, weight, bias, null, M, K, N, 'none');
}

console.log(`wasm ${wasm.variant}, one thread, ms per call (CPU time) and int8's speed-up over float32`);
console.log('M     N     K     fp32 ms  int8 ms  int8/fp32');
for (const M of ROWS) {
  for (const [N, K] of SHAPES) {
    for (const format of ['f32', 'i8'] as const) {
      const problem = mismatch(wasm, format === 'f32' ? TOLERANCE.linear : TOLERANCE.int8Linear, M * N,
        [uniform(M * K, 2), { data: uniform(N * K, 1 / Math.sqrt(K)), N, K, format }, uniform(N, 0.5)],
        (k, out, [i, w, b]) => k.linear(out, i, w as never, b, null, M, K, N, 'none'));
      if (problem) throw new Error(`wasm ${format} M=${M} N=${N} K=${K} against ${jsKernels.name}: ${problem}`);
    }
    const [fp32, int8] = secondsPerCall([linearCall(wasm, 'f32', M, N, K), linearCall(wasm, 'i8', M, N, K)]).map((seconds) => seconds * 1e3);
    console.log(`${String(M).padEnd(6)}${String(N).padEnd(6)}${String(K).padEnd(6)}${fp32.toFixed(3).padStart(7)}  ${int8.toFixed(3).padStart(7)}  ${(fp32 / int8).toFixed(2).padStart(8)}×`);
  }
}
