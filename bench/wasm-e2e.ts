// End-to-end sentences/s, single thread, at batch 32 on STS-B test sentences: the wasm SIMD and
// relaxed-SIMD modules next to the native addon on one thread, for a 12-layer MiniLM
// (minilm-l12-random, the all_datasets_v3_MiniLM-L12 architecture) and MPNet (all-mpnet-base-v2).
// Each cell runs in its own process (the backend, variant and thread count are fixed at load),
// first checks its vectors against the sentence-transformers goldens, then samples whole encode()
// calls, tokenization included, with the harness of `sentvec bench` (src/bench/harness.ts). The
// headline is per CPU-second of the process, which other work on a shared machine does not count
// against; wall sentences/s follow with their 95 % margin. Never fails: a cell that cannot run says why.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { supportedWasmVariants } from '../src/backend/wasm.js';
import { runSuite, type Sampling } from '../src/bench/harness.js';
import type { Estimate } from '../src/bench/stats.js';
import { load } from '../src/index.js';
import { checkpointDir, stsTestSentences, type CheckpointName } from '../test/fixtures.js';
import { agreement, embeddingGolden } from '../test/goldens.js';

const MODELS: CheckpointName[] = ['minilm-l12-random', 'all-mpnet-base-v2'];
const SENTENCES = 256;
const BATCH_SIZE = 32;
const PASS_SAMPLING: Sampling = { maxTime: 2, minTime: 0, minSamples: 3 };
const MAX_ABS = 1e-4;
const CELL_TIMEOUT_MS = 900_000;
// Node 20 validates relaxed SIMD only behind this V8 flag; later versions run it without.
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

interface Column {
  title: string;
  env: Record<string, string>;
  flags: string[];
}

interface CellResult {
  sentencesPerCpuSecond: number;
  sentencesPerSecond: Estimate;
  maxAbs: number;
}

const COLUMNS: Column[] = [
  { title: 'wasm simd', env: { SENTVEC_BACKEND: 'wasm', SENTVEC_WASM: 'simd' }, flags: [] },
  {
    title: 'wasm relaxed',
    env: { SENTVEC_BACKEND: 'wasm', SENTVEC_WASM: 'relaxed' },
    flags: supportedWasmVariants().includes('relaxed') ? [] : [RELAXED_FLAG],
  },
  { title: 'native, 1 thread', env: { SENTVEC_BACKEND: 'native', SENTVEC_THREADS: '1' }, flags: [] },
];

/** One cell, in this process: the backend comes from the environment the parent set. */
async function measure(name: CheckpointName): Promise<CellResult> {
  const sentences = stsTestSentences().slice(0, SENTENCES);
  const model = await load(checkpointDir(name));
  const checked = await model.encode(sentences, { batchSize: BATCH_SIZE });
  const { maxAbs } = agreement(checked, embeddingGolden(name).vectors);
  if (!(maxAbs <= MAX_ABS)) throw new Error(`${model.backend}: max |Δ| ${maxAbs.toExponential(2)} against the goldens, over ${MAX_ABS}`);
  const [timing] = await runSuite(name, [{ name: 'pass', run: () => model.encode(sentences, { batchSize: BATCH_SIZE }) }], PASS_SAMPLING, true);
  if (timing instanceof Error) throw timing;
  return {
    sentencesPerCpuSecond: SENTENCES / timing.cpuSecondsPerCall,
    sentencesPerSecond: { ...timing.hz, value: timing.hz.value * SENTENCES },
    maxAbs,
  };
}

function runCell(name: CheckpointName, column: Column): string {
  const child = spawnSync(process.execPath, [...column.flags, fileURLToPath(import.meta.url), name], {
    env: { ...process.env, ...column.env },
    encoding: 'utf8',
    timeout: CELL_TIMEOUT_MS,
  });
  const line = child.stdout?.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    const reason = (child.stderr || child.error?.message || `exit ${child.status ?? child.signal}`).trim().split('\n').pop();
    return `— (${reason})`;
  }
  const result: CellResult = JSON.parse(line);
  const wall = result.sentencesPerSecond;
  return `${result.sentencesPerCpuSecond.toFixed(1)} (wall ${wall.value.toFixed(1)} ±${wall.rme.toFixed(1)} %; max \\|Δ\\| ${result.maxAbs.toExponential(1)})`;
}

const cell = process.argv[2] as CheckpointName | undefined;
if (cell) {
  try {
    console.log(JSON.stringify(await measure(cell)));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
} else {
  console.log(`sentences per CPU-second over the first ${SENTENCES} STS-B test sentences, batch ${BATCH_SIZE}, one thread (wall sentences/s ±95 % margin)\n`);
  console.log(`| model | ${COLUMNS.map((column) => column.title).join(' | ')} |`);
  console.log(`|---|${COLUMNS.map(() => '---:').join('|')}|`);
  for (const name of MODELS) {
    console.log(`| ${name} | ${COLUMNS.map((column) => runCell(name, column)).join(' | ')} |`);
  }
}
