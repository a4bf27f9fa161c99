// After a large batch, an idle native model gives its activation memory back: RSS returns to
// within 50 MB of what it was once loaded (it stayed 120-180 MB above, and over 1 GB after batch
// 256 of long texts, when the worker kept its scratch and the malloc heap kept what was freed).
import v8 from 'node:v8';
import vm from 'node:vm';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, stsTestSentences } from './fixtures.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
// What is measured is the worker's memory: this thread's own garbage (the tokenizer's strings of
// 192 long texts) is collected before each reading, or V8's timing would decide the result.
v8.setFlagsFromString('--expose-gc');
const collectThisThread = vm.runInNewContext('gc') as () => void;

test('native: RSS after a large batch and 3 s idle is within 50 MB of the loaded baseline', async (t) => {
  const model = await load(checkpointDir('all-MiniLM-L6-v2'), { backend: 'native' });
  await model.encode(['warm up']);
  await sleep(1500);
  collectThisThread();
  const baseline = process.memoryUsage.rss();
  const long = stsTestSentences().join(' ');
  let vectors: Float32Array[] | undefined = await model.encode(Array.from({ length: 192 }, (_, i) => long.slice(i * 7, i * 7 + 2000)),
    { batchSize: 256 });
  const peak = process.memoryUsage.rss();
  t.equal(vectors.length, 192, '192 vectors');
  vectors = undefined;
  await sleep(3000);
  collectThisThread();
  const idle = process.memoryUsage.rss();
  t.ok(idle - baseline < 50 * 2 ** 20, `loaded ${mb(baseline)} MB, after the batch ${mb(peak)} MB, idle ${mb(idle)} MB`);
  await model.close();
});
