// With the native backend, encode() runs the graph off the main thread: timers keep firing
// while a large encode is under way, and close() stops the worker.
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
