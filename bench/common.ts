// What the developer benches share. The kernel benches (gemm.ts, wasm-gemm.ts) are the kernel
// suite of `sentvec bench` (src/bench/) on one backend, at the shapes of a MiniLM and an MPNet
// forward with the batch of 32 STS-B sentences of ~13 tokens (416 rows), sampled longer than the
// command's quick defaults.
import type { BackendName } from '../src/backend/kernels.js';
import { MINILM_SHAPE, type ModelShape } from '../src/bench/kernels.js';
import { cores } from '../src/bench/machine.js';
import { formatReport } from '../src/bench/report.js';
import { runBench } from '../src/bench/run.js';

const MPNET_SHAPE: ModelShape = { source: 'all-mpnet-base-v2 sizes', C: 768, F: 3072, NH: 12, V: 30527, P: 514 };

/** Prints the kernel suite on `backend` at both models' shapes, fp32 and int8, on 1 and every thread. */
export async function kernelBench(backend: BackendName): Promise<void> {
  for (const shape of [MINILM_SHAPE, MPNET_SHAPE]) {
    const report = await runBench({
      backends: [backend], dtypes: ['fp32', 'int8'], threads: [...new Set([1, cores()])], kernels: true, models: false,
      kernelSampling: { maxTime: 0.5, minTime: 0.05, minSamples: 5 }, kernelBatch: { B: 32, T: 13 }, shape,
      modelSampling: { maxTime: 0, minTime: 0, minSamples: 0 }, batches: [], coldRuns: 0, latencyQueries: 0,
      sentences: [], sentencesSource: 'none',
    }, (line) => console.error(line));
    console.log(`${formatReport(report)}\n`);
  }
}

/** CPU-seconds this process has used since `since` (every thread's). */
export function cpuSeconds(since?: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}
