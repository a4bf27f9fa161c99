// With the native backend, encode() runs the graph off the main thread: timers keep firing
// while a large encode is under way, and close() stops the worker.
import { spawnSync } from 'node:child_process';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, stsTestSentences } from './fixtures.js';
import { absent } from './required.js';

test('native encode leaves the event loop free and close() ends the worker', async (t) => {
  const model = await load(checkpointDir('all-MiniLM-L6-v2'), { backend: 'native' }).catch((error: Error) => error);
  if (model instanceof Error) return absent(t, 'native backend', model.message, 'SENTVEC_REQUIRE_NATIVE');
  const texts = stsTestSentences().slice(0, 1024);
  let last = performance.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  const vectors = await model.encode(texts, { batchSize: 128 });
  const elapsed = performance.now() - started;
  clearInterval(timer);
  t.equal(vectors.length, texts.length, `${texts.length} vectors in ${elapsed.toFixed(0)} ms`);
  // run on this thread, a batch would stall the timer for all of its time; off it, only tokenizing
  // and the scheduler (the worker's threads share 2 cores with this one) ever delay it
  const batchMs = elapsed / Math.ceil(texts.length / 128);
  t.ok(longestGap < batchMs / 2, `longest pause of a 1 ms timer during encode: ${longestGap.toFixed(1)} ms, under half a batch's ${batchMs.toFixed(0)} ms`);

  await model.close();
  try {
    await model.encode(['after close']);
    t.fail('encode after close resolved');
  } catch (error) {
    t.match((error as Error).message, /closed|exited/, `encode after close: ${(error as Error).message}`);
  }
});

// A worker's execArgv may hold neither --input-type (every run here has it) nor V8 or per-process
// flags, which are common in benchmarks (--expose-gc) and services (--max-old-space-size).
test('native load starts its worker whatever flags started Node', async (t) => {
  const script = `import { load } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
    const model = await load(${JSON.stringify(checkpointDir('all-MiniLM-L6-v2'))}, { backend: 'native' });
    const [vector] = await model.encode(['flags']);
    await model.close();
    console.log(vector.length);`;
  for (const flags of [['--expose-gc'], ['--max-old-space-size=2048', '--title=sentvec-flags']]) {
    const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    t.equal(run.stdout.trim(), '384', `node ${flags.join(' ')}: a 384-dimension vector${run.stderr ? `; stderr: ${run.stderr.trim().slice(0, 300)}` : ''}`);
  }
});
