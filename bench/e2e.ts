// End-to-end numbers of the default Node path (native backend in its worker thread) for a
// 12-layer MiniLM (minilm-l12-random: the MiniLM-L12 architecture, random weights) and MPNet base
// (all-mpnet-base-v2), on STS-B test sentences:
//   - sentences/s at batch 1, 8, 32, 128, whole encode() calls with tokenization, sampled by the
//     harness of `sentvec bench` (src/bench/harness.ts, benchmark.js), with the 95 % margin;
//   - p50/p99 latency of one-sentence encode() calls, with their distribution-free margins;
//   - cold start: a fresh `node` that imports sentvec, loads, encodes one sentence (median of 5,
//     bench/cold-start.ts);
//   - peak RSS of a process that loads the model and encodes all 2,758 test sentences;
//   - where one forward's time goes, per kernel, by wrapping the kernels in a timing proxy.
// Every measuring process first checks its vectors against the sentence-transformers goldens.
//
// The machine may be shared, so next to wall time (which a busy machine makes slower and noisier)
// each throughput cell also gives sentences per CPU-second of the whole process, worker
// and pool threads included (spinning counts against it), and the same on one pool thread, where
// CPU time is the work itself. Never fails a build: a cell that cannot run says why.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNativeKernels } from '../src/backend/native.js';
import type { Kernels } from '../src/backend/kernels.js';
import type { HeadWeights } from '../src/heads.js';
import { load } from '../src/index.js';
import { encoderFor } from '../src/models/index.js';
import { backendLinearWeights } from '../src/models/transformer.js';
import { InlineRunner } from '../src/runner.js';
import { Checkpoint, parseSafetensors } from '../src/safetensors.js';
import { checkpointDir, stsTestSentences, type CheckpointName } from '../test/fixtures.js';
import { agreement, embeddingGolden } from '../test/goldens.js';
import { runSuite, type Sampling } from '../src/bench/harness.js';
import { quantileEstimate, type Estimate } from '../src/bench/stats.js';
import { cpuSeconds } from './common.js';

const MODELS: CheckpointName[] = ['minilm-l12-random', 'all-mpnet-base-v2'];
const BATCHES = [1, 8, 32, 128];
const SENTENCES = 256;
const PASS_SAMPLING: Sampling = { maxTime: 3, minTime: 0, minSamples: 3 };
const LATENCY_QUERIES = 200;
const COLD_RUNS = 5;
const BREAKDOWN_BATCHES = [1, 32];
const BREAKDOWN_FORWARDS = 8;
const MAX_ABS = 1e-4;
const CHILD_TIMEOUT_MS = 900_000;

const median = (values: number[]) => quantileEstimate(values, 0.5).value;

async function checkedModel(name: CheckpointName, sentences: string[], worker = true) {
  const model = await load(checkpointDir(name), { worker });
  if (model.backend !== 'native') throw new Error(`the native backend did not load (got ${model.backend})`);
  const { maxAbs } = agreement(await model.encode(sentences), embeddingGolden(name).vectors);
  if (!(maxAbs <= MAX_ABS)) throw new Error(`max |Δ| ${maxAbs.toExponential(2)} against the goldens, over ${MAX_ABS}`);
  return model;
}

interface Throughput {
  batches: { batch: number; wall: Estimate; cpu: number }[];
  p50: Estimate;
  p99: Estimate;
}

/** Whole passes over the sentences at each batch size, sampled by the harness of `sentvec bench`. */
async function throughput(name: CheckpointName): Promise<Throughput> {
  const sentences = stsTestSentences().slice(0, SENTENCES);
  const model = await checkedModel(name, sentences);
  const timings = await runSuite('e2e', BATCHES.map((batch) => ({
    name: `batch ${batch}`, run: () => model.encode(sentences, { batchSize: batch }),
  })), PASS_SAMPLING, true);
  const batches = BATCHES.map((batch, index) => {
    const timing = timings[index];
    if (timing instanceof Error) throw timing;
    return { batch, wall: { ...timing.hz, value: timing.hz.value * SENTENCES }, cpu: SENTENCES / timing.cpuSecondsPerCall };
  });
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_QUERIES; i++) {
    const begin = performance.now();
    await model.encode([sentences[i % sentences.length]]);
    latencies.push(performance.now() - begin);
  }
  await model.close();
  return { batches, p50: quantileEstimate(latencies, 0.5), p99: quantileEstimate(latencies, 0.99) };
}

interface Breakdown {
  batch: number;
  tokens: number;
  forwardMs: number;
  kernels: { kernel: string; calls: number; ms: number }[];
}

/** The native kernels with every call's CPU time summed per kernel (one pool thread: CPU time is the kernel's). */
function timed(kernels: Kernels<Float32Array>, totals: Map<string, { calls: number; seconds: number }>): Kernels<Float32Array> {
  const wrapped: Record<string, unknown> = { ...kernels };
  for (const kernel of ['embed', 'linear', 'layerNorm', 'attention', 'pool'] as const) {
    const run = kernels[kernel] as (...args: unknown[]) => void;
    wrapped[kernel] = (...args: unknown[]) => {
      const start = process.cpuUsage();
      run(...args);
      const entry = totals.get(kernel) ?? { calls: 0, seconds: 0 };
      entry.calls++;
      entry.seconds += cpuSeconds(start);
      totals.set(kernel, entry);
    };
  }
  return wrapped as unknown as Kernels<Float32Array>;
}

async function breakdown(name: CheckpointName): Promise<Breakdown[]> {
  const dir = checkpointDir(name);
  const sentences = stsTestSentences().slice(0, Math.max(...BREAKDOWN_BATCHES) * BREAKDOWN_FORWARDS);
  const model = await checkedModel(name, sentences, false);
  const tokenized = sentences.map((text) => model.tokenize(text));
  const checkpoint = new Checkpoint([parseSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors')), 'model.safetensors')]);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const totals = new Map<string, { calls: number; seconds: number }>();
  const kernels = timed(await loadNativeKernels(), totals);
  const encoder = encoderFor(kernels, checkpoint, config, 'config.json', backendLinearWeights(kernels, checkpoint, 'f32'));
  const head: HeadWeights<Float32Array> = { head: { kind: 'sentence', pooling: ['mean'], includePrompt: true, steps: [] }, dense: [] };
  const runner = new InlineRunner(kernels, encoder, head, 'fp32', checkpoint.fileList());
  return BREAKDOWN_BATCHES.map((batch) => {
    const batches = Array.from({ length: BREAKDOWN_FORWARDS }, (_, i) => tokenized.slice(i * batch, (i + 1) * batch));
    runner.runNow(batches[0]);
    totals.clear();
    const start = process.cpuUsage();
    for (const sequences of batches) runner.runNow(sequences);
    const forwardMs = (cpuSeconds(start) * 1000) / BREAKDOWN_FORWARDS;
    const tokens = batches.reduce((sum, sequences) => sum + sequences.reduce((count, s) => count + s.length, 0), 0);
    return {
      batch,
      tokens: tokens / BREAKDOWN_FORWARDS,
      forwardMs,
      kernels: [...totals].map(([kernel, { calls, seconds }]) => ({
        kernel, calls: calls / BREAKDOWN_FORWARDS, ms: (seconds * 1000) / BREAKDOWN_FORWARDS,
      })),
    };
  });
}

async function peakRss(name: CheckpointName) {
  const sentences = stsTestSentences();
  const model = await checkedModel(name, sentences.slice(0, 32));
  await model.encode(sentences);
  return { maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

interface ColdStart {
  wall: number;
  boot: number;
  imported: number;
  loaded: number;
  encoded: number;
  cpu: number;
}

async function coldStart(name: CheckpointName): Promise<ColdStart> {
  const runs: ColdStart[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const begin = performance.now();
    const child = spawn(process.execPath, [fileURLToPath(new URL('cold-start.js', import.meta.url))], {
      env: { ...process.env, SENTVEC_E2E_MODEL: checkpointDir(name) },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    let errors = '';
    child.stderr.on('data', (chunk) => (errors += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    const wall = performance.now() - begin;
    if (code !== 0) throw new Error(`cold-start process exited with ${code}: ${errors.trim().split('\n').pop()}`);
    runs.push({ wall, ...JSON.parse(output) });
  }
  const result = {} as ColdStart;
  for (const key of Object.keys(runs[0]) as (keyof ColdStart)[]) result[key] = median(runs.map((run) => run[key]));
  return result;
}

const MODES = { throughput, breakdown, peakRss, coldStart } as const;
type Mode = keyof typeof MODES;

/** Runs one measurement in a fresh process, so no model or allocation of another cell is in it. */
function child<T>(mode: Mode, name: CheckpointName, env: Record<string, string> = {}): T | string {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), mode, name], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, maxBuffer: 1 << 24,
  });
  const line = run.stdout?.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{') && !line.startsWith('[')) {
    return `— (${(run.stderr || run.error?.message || `exit ${run.status ?? run.signal}`).trim().split('\n').pop()})`;
  }
  return JSON.parse(line) as T;
}

function report(name: CheckpointName): void {
  const safetensorsMB = fs.statSync(path.join(checkpointDir(name), 'model.safetensors')).size / 2 ** 20;
  console.log(`\n### ${name}\n`);
  const both = child<Throughput>('throughput', name);
  const one = child<Throughput>('throughput', name, { SENTVEC_THREADS: '1' });
  if (typeof both === 'string' || typeof one === 'string') {
    console.log(`throughput: ${typeof both === 'string' ? both : one}`);
  } else {
    const withMargin = (estimate: Estimate, digits: number) => `${estimate.value.toFixed(digits)} ±${estimate.rme.toFixed(1)} %`;
    console.log('| batch | sentences/s (wall, ±95 % margin) | sentences per CPU-s | sentences per CPU-s, 1 thread |');
    console.log('|---:|---:|---:|---:|');
    both.batches.forEach((cell, i) => {
      console.log(`| ${cell.batch} | ${withMargin(cell.wall, 1)} | ${cell.cpu.toFixed(1)} | ${one.batches[i].cpu.toFixed(1)} |`);
    });
    console.log(`\nsingle query: p50 ${withMargin(both.p50, 2)} ms, p99 ${withMargin(both.p99, 2)} ms ` +
      `(1 thread: p50 ${withMargin(one.p50, 2)} ms, p99 ${withMargin(one.p99, 2)} ms)`);
  }

  const cold = child<ColdStart>('coldStart', name);
  console.log(typeof cold === 'string' ? `\ncold start: ${cold}` :
    `\ncold start (median of ${COLD_RUNS}): ${cold.wall.toFixed(0)} ms wall from spawn to exit; inside: node boot ${cold.boot.toFixed(0)} ms, ` +
    `import ${cold.imported.toFixed(0)} ms, load ${cold.loaded.toFixed(0)} ms, first encode ${cold.encoded.toFixed(0)} ms; ${cold.cpu.toFixed(0)} ms CPU`);
  const rss = child<{ maxRssMB: number }>('peakRss', name);
  console.log(typeof rss === 'string' ? `peak RSS: ${rss}` :
    `peak RSS after encoding all STS-B test sentences: ${rss.maxRssMB.toFixed(0)} MB (model.safetensors ${safetensorsMB.toFixed(0)} MB, ` +
    `+${(rss.maxRssMB - safetensorsMB).toFixed(0)} MB)`);

  const parts = child<Breakdown[]>('breakdown', name, { SENTVEC_THREADS: '1' });
  if (typeof parts === 'string') {
    console.log(`breakdown: ${parts}`);
    return;
  }
  console.log(`\none forward, CPU time on one thread, mean of ${BREAKDOWN_FORWARDS} batches:\n`);
  console.log(`| kernel | ${parts.map((p) => `batch ${p.batch} (${p.tokens.toFixed(0)} tokens): ms (calls)`).join(' | ')} |`);
  console.log(`|---|${parts.map(() => '---:').join('|')}|`);
  for (const kernel of ['linear', 'attention', 'layerNorm', 'embed', 'pool']) {
    const cells = parts.map((p) => {
      const entry = p.kernels.find((k) => k.kernel === kernel)!;
      return `${entry.ms.toFixed(2)} (${entry.calls}) ${((100 * entry.ms) / p.forwardMs).toFixed(0)} %`;
    });
    console.log(`| ${kernel} | ${cells.join(' | ')} |`);
  }
  const rest = parts.map((p) => {
    const other = p.forwardMs - p.kernels.reduce((sum, k) => sum + k.ms, 0);
    return `${other.toFixed(2)} ${((100 * other) / p.forwardMs).toFixed(0)} %`;
  });
  console.log(`| graph, pooling glue, timing | ${rest.join(' | ')} |`);
  console.log(`| whole forward | ${parts.map((p) => p.forwardMs.toFixed(2)).join(' | ')} |`);
}

const [mode, name] = process.argv.slice(2) as [Mode | undefined, CheckpointName];
if (mode) {
  try {
    console.log(JSON.stringify(await MODES[mode](name)));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
} else {
  console.log(`sentvec e2e, native backend, ${SENTENCES} STS-B test sentences per throughput pass`);
  for (const model of MODELS) report(model);
}
