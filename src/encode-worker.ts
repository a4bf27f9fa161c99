// Worker-thread side of worker-runner.ts: loads the graph from the model's source and answers
// each batch of token ids with its vectors, transferring their buffers back.

import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeAddon, type NativeAddon } from './backend/native.js';
import { loadInlineRunner } from './load-graph.js';
import { IDLE_RELEASE_MS } from './models/transformer.js';
import type { RunOptions } from './heads.js';
import type { InlineRunner } from './runner.js';
import type { WorkerReply, WorkerSetup } from './worker-runner.js';

const port = parentPort!;
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const setup = workerData as WorkerSetup;

let runner: InlineRunner<unknown>;
let nativeAddon: NativeAddon | undefined;
try {
  nativeAddon = setup.backend === 'native' ? await loadNativeAddon() : undefined;
  runner = await loadInlineRunner(setup.source, setup.backend, setup.head, setup.dtype);
  reply({ type: 'ready', hiddenSize: runner.hiddenSize, maxTokens: runner.maxTokens, dtype: runner.dtype });
} catch (error) {
  reply({ type: 'failed', message: (error as Error).message });
  process.exit(0);
}

// Once the model is idle its scratch is freed (ActivationStore), but the buffers are garbage only
// V8 knows of: with nothing allocating, no collection runs and the worker would hold a large
// batch's memory for good. A collection shortly after the scratch is freed gives it back.
const collectGarbage = garbageCollector();
let idleTimer: NodeJS.Timeout | undefined;
// V8 frees the collected buffers' memory on a background thread after gc() returns, so the
// malloc heap is trimmed a little later, once that memory is back in it.
const TRIM_AFTER_COLLECTION_MS = 250;
const releaseIdleMemory = () => {
  collectGarbage();
  idleTimer = setTimeout(() => nativeAddon?.trimMemory?.(), TRIM_AFTER_COLLECTION_MS);
  idleTimer.unref();
};

port.on('message', ({ id, sequences, options }: { id: number; sequences: Int32Array[]; options: RunOptions }) => {
  clearTimeout(idleTimer);
  try {
    const vectors = runner.runNow(sequences, options);
    reply({ type: 'vectors', id, vectors }, vectors.map((vector) => vector.buffer as ArrayBuffer));
  } catch (error) {
    reply({ type: 'error', id, message: (error as Error).message });
  }
  // armed when the batch ends, as the model's own idle release is, so the collection follows it
  idleTimer = setTimeout(releaseIdleMemory, IDLE_RELEASE_MS + 200);
  idleTimer.unref();
});

// Bun has a collector of its own; V8 hands gc() to a new context once the flag is set. Where
// neither is reachable the freed scratch waits for the next collection V8 decides on.
function garbageCollector(): () => void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return () => {};
  }
}
