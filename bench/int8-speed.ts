// node dist/bench/int8-speed.js [checkpoint] [batches]: sentences per second of the float32 and the
// int8 model side by side on the backend of $SENTVEC_BACKEND (else native), at the ISA level and
// thread count of $SENTVEC_ISA and $SENTVEC_THREADS (else the best level, every core), or the wasm
// module of $SENTVEC_WASM (one thread; relaxed needs node --experimental-wasm-relaxed-simd), inline
// (no worker thread).
// Both models live in one process and take turns, pass for pass, over the same 128 STS-B test
// sentences, so a busy shared machine slows both alike; each round gives one int8/fp32 ratio, and
// the report is the median of 15 rounds with their range, in wall time and in CPU time of the
// process, and the ratio of each model's fastest pass: what a host that only ever takes time away
// leaves nearest the truth. Both models' vectors are first checked against the sentence-transformers
// goldens.
import { load, type SentenceModel as Model } from '../src/index.js';
import type { BackendName } from '../src/backend/kernels.js';
import { quantileEstimate } from '../src/bench/stats.js';
import { checkpointDir, stsTestSentences, type CheckpointName } from '../test/fixtures.js';
import { agreement, embeddingGolden } from '../test/goldens.js';
import { cpuSeconds } from './common.js';

const name = (process.argv[2] ?? 'all-MiniLM-L6-v2') as CheckpointName;
const BATCHES = (process.argv[3] ?? '1,8,32,128').split(',').map(Number);
const SENTENCES = 128;
const ROUNDS = 15;
// the bounds the int8 tests hold the whole model to (test/int8-quality.test.ts is stricter)
const CHECKS = { fp32: { maxAbs: 1e-4 }, int8: { minCosine: 0.99 } };

const backend = (process.env.SENTVEC_BACKEND ?? 'native') as BackendName;
const sentences = stsTestSentences().slice(0, SENTENCES);
const golden = embeddingGolden(name).vectors;
const models: Record<'fp32' | 'int8', Model> = {
  fp32: await load(checkpointDir(name), { worker: false, dtype: 'fp32', backend }),
  int8: await load(checkpointDir(name), { worker: false, dtype: 'int8', backend }),
};
for (const [dtype, model] of Object.entries(models)) {
  const { maxAbs, minCosine } = agreement(await model.encode(sentences), golden);
  const bad = dtype === 'fp32' ? !(maxAbs <= CHECKS.fp32.maxAbs) : !(minCosine >= CHECKS.int8.minCosine);
  if (bad) throw new Error(`${dtype}: max |Δ| ${maxAbs.toExponential(2)}, lowest cosine ${minCosine.toFixed(5)} against the goldens`);
}

/** Wall and CPU seconds of one pass over the sentences. */
async function pass(model: Model, batchSize: number): Promise<{ wall: number; cpu: number }> {
  const [start, cpu] = [performance.now(), process.cpuUsage()];
  await model.encode(sentences, { batchSize });
  return { wall: (performance.now() - start) / 1e3, cpu: cpuSeconds(cpu) };
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${quantileEstimate(values, 0.5).value.toFixed(2)} (${sorted[0].toFixed(2)}–${sorted[sorted.length - 1].toFixed(2)})`;
};

const where = backend === 'native' ? `native ${process.env.SENTVEC_ISA ?? 'best level'}, ${process.env.SENTVEC_THREADS ?? 'every'} thread(s)`
  : backend === 'wasm' ? `wasm ${process.env.SENTVEC_WASM ?? 'best module'}, one thread` : backend;
console.log(`${name}, ${where}, ${SENTENCES} sentences a pass, ${ROUNDS} rounds`);
console.log('batch  fp32 sent/s  int8 sent/s  int8/fp32 wall, median (range)  int8/fp32 CPU time  fastest passes');
for (const batch of BATCHES) {
  await pass(models.fp32, batch);
  await pass(models.int8, batch);
  const rates = { fp32: [] as number[], int8: [] as number[] };
  const [wallRatios, cpuRatios]: number[][] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    // alternate which model goes first, so neither always follows the other
    const order = round % 2 === 0 ? (['fp32', 'int8'] as const) : (['int8', 'fp32'] as const);
    const seconds = { fp32: { wall: 0, cpu: 0 }, int8: { wall: 0, cpu: 0 } };
    for (const dtype of order) seconds[dtype] = await pass(models[dtype], batch);
    rates.fp32.push(SENTENCES / seconds.fp32.wall);
    rates.int8.push(SENTENCES / seconds.int8.wall);
    wallRatios.push(seconds.fp32.wall / seconds.int8.wall);
    cpuRatios.push(seconds.fp32.cpu / seconds.int8.cpu);
  }
  const median = (values: number[]) => quantileEstimate(values, 0.5).value.toFixed(0);
  const fastest = Math.max(...rates.int8) / Math.max(...rates.fp32);
  console.log(`${String(batch).padEnd(7)}${median(rates.fp32).padStart(11)}  ${median(rates.int8).padStart(11)}  ${summary(wallRatios).padStart(31)}  ${summary(cpuRatios).padStart(18)}  ${fastest.toFixed(2).padStart(14)}`);
}
for (const model of Object.values(models)) await model.close();
