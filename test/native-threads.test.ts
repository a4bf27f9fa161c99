// The native pool: results do not depend on the thread count, and kernels called at the same
// time from several JS threads (worker_threads) all get the single-threaded answer.
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import test from 'tape';
import { nativeAddonOrSkip } from './native-addon.js';

const [M, K, N] = [130, 1536, 200];
function inputs() {
  const fill = (length: number, scale: number) => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + length) * scale);
  return { inp: fill(M * K, 2), weight: fill(N * K, 0.03), bias: fill(N, 0.5), residual: fill(M * N, 1) };
}

// Each worker loads the addon itself and runs the same GEMM `rounds` times, counting results
// that differ from `expected` in any bit.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { M, K, N, moduleUrl, expected, rounds, inputs } = workerData;
import(moduleUrl).then(async ({ loadNativeAddon }) => {
  const addon = await loadNativeAddon();
  const weight = new addon.LinearWeight(inputs.weight, N, K, 'f32');
  let mismatches = 0;
  for (let round = 0; round < rounds; round++) {
    const out = new Float32Array(M * N);
    addon.linear(out, inputs.inp, weight, inputs.bias, inputs.residual, M, K, N, 'gelu');
    if (out.some((value, i) => value !== expected[i])) mismatches++;
  }
  parentPort.postMessage(mismatches);
});
`;

test('native threads: same bits at any thread count and under concurrent callers', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return t.end();
  const initialThreads = addon.threads();
  const { inp, weight, bias, residual } = inputs();
  const handle = new addon.LinearWeight(weight, N, K, 'f32');
  const run = () => {
    const out = new Float32Array(M * N);
    addon.linear(out, inp, handle, bias, residual, M, K, N, 'gelu');
    return out;
  };
  try {
    addon.setThreads(1);
    t.equal(addon.threads(), 1, 'one thread');
    const single = run();
    for (const threads of [2, 3, 8]) {
      addon.setThreads(threads);
      t.deepEqual(run(), single, `${threads} threads give the single-thread bits`);
    }
    addon.setThreads(initialThreads);

    const rounds = 20;
    const moduleUrl = new URL('../src/backend/native.js', import.meta.url).href;
    const workers = [0, 1, 2].map(() => new Promise<number>((resolve, reject) => {
      const worker = new Worker(WORKER, {
        eval: true,
        workerData: { M, K, N, moduleUrl, expected: single, rounds, inputs: { inp, weight, bias, residual } },
      });
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before answering`)));
    }));
    let mainMismatches = 0;
    for (let round = 0; round < rounds; round++) {
      if (run().some((value, i) => value !== single[i])) mainMismatches++;
    }
    const mismatches = await Promise.all(workers);
    t.deepEqual([mainMismatches, ...mismatches], [0, 0, 0, 0], `main thread and 3 workers, ${rounds} GEMMs each, all exact`);
  } finally {
    addon.setThreads(initialThreads);
  }
  t.end();
});

// A worker that a job woke and that then lost its core could read the generation of the stop
// that followed (setThreads right after a job) and sleep through it: join() then waited forever.
// The pause between calls lets the workers fall asleep, which the race needs.
const RESTARTS = `
const { loadNativeAddon } = await import(process.argv[1]);
const addon = await loadNativeAddon();
const [M, K] = [130, 70];
const inp = new Float32Array(M * K).fill(1);
const pause = () => { const until = performance.now() + 0.5; while (performance.now() < until); };
for (let round = 0; round < 60; round++) {
  for (const N of [1, 2, 3, 37, 70, 200, 256, 312, 384, 768, 1536, 3072]) {
    const weight = new addon.LinearWeight(new Float32Array(N * K).fill(0.01), N, K, 'f32');
    for (const threads of [1, 2, 3]) {
      addon.setThreads(threads);
      pause();
      addon.linear(new Float32Array(M * N), inp, weight, new Float32Array(N), null, M, K, N, 'gelu');
      pause();
    }
  }
}
process.stdout.write('finished');
`;

test('native threads: setThreads right after a job never strands a worker (no hang)', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return t.end();
  const moduleUrl = new URL('../src/backend/native.js', import.meta.url).href;
  // ~4 s when it works; a hang is killed and reported instead of stalling the suite
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', RESTARTS, moduleUrl], { encoding: 'utf8', timeout: 60_000 });
  t.equal(child.signal, null, `2,160 restarts between jobs finish within 60 s (signal ${child.signal})`);
  t.equal(child.stdout, 'finished', `the child ran every restart${child.stderr ? `: ${child.stderr}` : ''}`);
  t.end();
});
