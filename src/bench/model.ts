// The model suite: per backend, dtype and thread count, in fresh processes (model-child.ts):
//   - cold start, import → load → first vector, and the peak RSS of that process once it has also
//     encoded one batch of 32 sentences: the mean of a few processes, with its RME;
//   - sentences/s of whole encode() calls at each batch size, sampled by benchmark.js;
//   - p50 and p99 wall latency of single-sentence encode() calls, with distribution-free margins.
// A cell that cannot run (a backend missing here, a model it cannot load) says why and the rest go on.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Dtype } from '../load-graph.js';
import type { Sampling } from './harness.js';
import type { ChildRequest, ColdResult, ThroughputResult } from './model-child.js';
import { meanEstimate, quantileEstimate, type Estimate } from './stats.js';

export interface ModelCell {
  backend: string;
  dtype: Dtype;
  threads: number;
}

export interface ModelSettings {
  model: string;
  sentences: string[];
  batches: number[];
  sampling: Sampling;
  coldRuns: number;
  latencyQueries: number;
}

export interface ModelResult extends ModelCell {
  /** The native ISA level the cell ran at. */
  isa?: string;
  /** Import → load → first vector in a fresh process (ms). */
  coldStartMs?: Estimate;
  /** Process start → first vector (ms), Node's own boot included. */
  processToFirstVectorMs?: Estimate;
  peakRssMB?: Estimate;
  batches?: { batch: number; sentencesPerSecond: Estimate; sentencesPerCpuSecond: number }[];
  p50Ms?: Estimate;
  p99Ms?: Estimate;
  error?: string;
}

const CHILD = fileURLToPath(new URL('./model-child.js', import.meta.url));
const CHILD_TIMEOUT_MS = 300_000;

function child<T>(request: ChildRequest, threads: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, SENTVEC_THREADS: String(threads) };
    const process_ = spawn(process.execPath, [CHILD, JSON.stringify(request)], { env, timeout: CHILD_TIMEOUT_MS });
    let output = '';
    let errors = '';
    process_.stdout.on('data', (chunk) => (output += chunk));
    process_.stderr.on('data', (chunk) => (errors += chunk));
    process_.on('error', reject);
    process_.on('close', (code, signal) => {
      const line = output.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as T);
      else if (signal) reject(new Error(`measuring process ended by ${signal}${signal === 'SIGTERM' ? ` (over the ${CHILD_TIMEOUT_MS / 1000} s limit?)` : ''}`));
      else reject(new Error(errors.trim().split('\n').pop() || `exit ${code}`));
    });
  });
}

/** Measures one cell; errors end up in the result, never thrown. */
export async function runModelCell(cell: ModelCell, settings: ModelSettings): Promise<ModelResult> {
  const result: ModelResult = { ...cell };
  const request = (mode: ChildRequest['mode']): ChildRequest => ({
    mode, model: settings.model, backend: cell.backend, dtype: cell.dtype, sentences: settings.sentences,
    batches: settings.batches, sampling: settings.sampling, latencyQueries: settings.latencyQueries,
  });
  try {
    const colds: ColdResult[] = [];
    for (let run = 0; run < settings.coldRuns; run++) colds.push(await child<ColdResult>(request('cold'), cell.threads));
    if (colds[0].backend !== cell.backend) throw new Error(`asked for backend ${cell.backend}, load() chose ${colds[0].backend}`);
    result.isa = colds[0].isa;
    result.coldStartMs = meanEstimate(colds.map((c) => c.loadToFirstVector));
    result.processToFirstVectorMs = meanEstimate(colds.map((c) => c.processToFirstVector));
    result.peakRssMB = meanEstimate(colds.map((c) => c.peakRssMB));
    const timed = await child<ThroughputResult>(request('throughput'), cell.threads);
    result.batches = timed.batches.map(({ batch, hz, cpuSecondsPerCall }) => ({
      batch,
      sentencesPerSecond: { ...hz, value: hz.value * batch },
      sentencesPerCpuSecond: batch / cpuSecondsPerCall,
    }));
    result.p50Ms = quantileEstimate(timed.latencies, 0.5);
    result.p99Ms = quantileEstimate(timed.latencies, 0.99);
  } catch (error) {
    result.error = (error as Error).message;
  }
  return result;
}

/** The cells of every backend × dtype × thread count; backends other than native run one thread. */
export function modelCells(backends: string[], dtypes: Dtype[], threadCounts: number[]): ModelCell[] {
  return backends.flatMap((backend) => dtypes.flatMap((dtype) =>
    (backend === 'native' ? threadCounts : [1]).map((threads) => ({ backend, dtype, threads }))));
}
