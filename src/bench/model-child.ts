// One measuring process of the model suite (model.ts spawns it, so no model, allocation or JIT
// state of another cell is in it). argv[2] is a ChildRequest as JSON; the last stdout line is the
// result as JSON. Nothing but sentvec and the harness is imported, so a cold start is sentvec's own.
import type { Sampling } from './harness.js';
import type { Estimate } from './stats.js';

export interface ChildRequest {
  mode: 'cold' | 'throughput';
  model: string;
  backend: string;
  dtype: 'fp32' | 'int8';
  sentences: string[];
  batches: number[];
  sampling: Sampling;
  latencyQueries: number;
}

/** The batch a cold process encodes after its first vector: encode()'s default batch size. */
const RSS_BATCH = 32;

export interface ColdResult {
  /** From importing sentvec to holding the first vector (ms). */
  loadToFirstVector: number;
  /** From this process starting to holding the first vector (ms): Node's boot and sentvec's import too. */
  processToFirstVector: number;
  /** Peak resident set (MiB) after the first vector and one batch of RSS_BATCH sentences. */
  peakRssMB: number;
  backend: string;
  /** The native ISA level the kernels ran at ($SENTVEC_ISA, else the best). */
  isa?: string;
}

export interface ThroughputResult {
  batches: { batch: number; hz: Estimate; cpuSecondsPerCall: number }[];
  /** Wall milliseconds of each single-sentence encode() call, in order. */
  latencies: number[];
  backend: string;
}

async function cold(request: ChildRequest): Promise<ColdResult> {
  const loadStart = performance.now();
  const { load } = await import('../index.js');
  const model = await load(request.model, { backend: request.backend, dtype: request.dtype });
  await model.encode([request.sentences[0]]);
  const firstVector = performance.now();
  await model.encode(request.sentences.slice(0, RSS_BATCH), { batchSize: RSS_BATCH });
  await model.close();
  const isa = model.backend === 'native' ? (await import('../backend/native.js').then((native) => native.loadNativeAddon())).isa() : undefined;
  return {
    isa,
    loadToFirstVector: firstVector - loadStart,
    processToFirstVector: firstVector,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    backend: model.backend,
  };
}

async function throughput(request: ChildRequest): Promise<ThroughputResult> {
  const [{ load }, { runSuite }] = await Promise.all([import('../index.js'), import('./harness.js')]);
  const model = await load(request.model, { backend: request.backend, dtype: request.dtype });
  await model.encode(request.sentences.slice(0, 8));  // the first forward allocates and compiles
  const timings = await runSuite(
    'model',
    request.batches.map((batch) => ({
      name: `batch ${batch}`,
      run: () => model.encode(request.sentences.slice(0, batch), { batchSize: batch }),
    })),
    request.sampling,
    true,
  );
  const latencies: number[] = [];
  for (let i = 0; i < request.latencyQueries; i++) {
    const begin = performance.now();
    await model.encode([request.sentences[i % request.sentences.length]]);
    latencies.push(performance.now() - begin);
  }
  await model.close();
  return {
    batches: request.batches.map((batch, index) => {
      const timing = timings[index];
      if (timing instanceof Error) throw new Error(`batch ${batch}: ${timing.message}`);
      return { batch, ...timing };
    }),
    latencies,
    backend: model.backend,
  };
}

try {
  const request = JSON.parse(process.argv[2]) as ChildRequest;
  const result = request.mode === 'cold' ? await cold(request) : await throughput(request);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message.split('\n')[0]}\n`);
  process.exitCode = 1;
}
