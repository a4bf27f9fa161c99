// Worker-thread side of worker-runner.ts: loads the graph from the model's source and answers
// each batch of token ids with its vectors, transferring their buffers back.

import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeAddon } from './backend/native.js';
import { loadInlineRunner } from './load.js';
import type { FileMapper } from './sources/source.js';
import type { InlineRunner } from './runner.js';
import type { WorkerReply, WorkerSetup } from './worker-runner.js';

const port = parentPort!;
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const setup = workerData as WorkerSetup;

let runner: InlineRunner<unknown>;
try {
  // Mapping model.safetensors instead of reading it saves a copy of the whole file in memory and
  // the time to make it; the graph copies or packs every tensor it keeps, and the mappings are
  // unmapped once it is built, so nothing that happens to the file later can reach the model. A
  // file that cannot be mapped (missing, say) is read the usual way, which reports the problem.
  const addon = setup.backend === 'native' ? await loadNativeAddon() : undefined;
  const mapped: ArrayBuffer[] = [];
  const mapSafetensors: FileMapper = (file) => {
    if (!addon?.mapFile || !file.endsWith('.safetensors')) return undefined;
    try {
      const buffer = addon.mapFile(file);
      mapped.push(buffer);
      return new Uint8Array(buffer);
    } catch {
      return undefined;
    }
  };
  try {
    runner = await loadInlineRunner(setup.source, setup.backend, setup.head, setup.dtype, mapSafetensors);
  } finally {
    for (const buffer of mapped) addon?.unmapFile?.(buffer);
  }
  reply({ type: 'ready', hiddenSize: runner.hiddenSize, maxTokens: runner.maxTokens });
} catch (error) {
  reply({ type: 'failed', message: (error as Error).message });
  process.exit(0);
}

port.on('message', ({ id, sequences }: { id: number; sequences: Int32Array[] }) => {
  try {
    const vectors = runner.runNow(sequences);
    reply({ type: 'vectors', id, vectors }, vectors.map((vector) => vector.buffer as ArrayBuffer));
  } catch (error) {
    reply({ type: 'error', id, message: (error as Error).message });
  }
});
