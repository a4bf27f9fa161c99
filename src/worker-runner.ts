// The native backend under Node runs the graph in a worker thread: the worker loads the weights
// itself (the main thread never holds them) and answers batches of token ids with vectors, so
// encode() leaves the event loop free while the kernels run on the addon's thread pool.

import { Worker } from 'node:worker_threads';
import type { BackendName } from './backend/kernels.js';
import type { Dtype } from './load-graph.js';
import type { Head, RunOptions } from './heads.js';
import type { BatchRunner } from './runner.js';
import type { SourceSpec } from './sources/source.js';

/** What the worker is started with. */
export interface WorkerSetup {
  source: SourceSpec;
  backend: BackendName;
  head: Head;
  /** As requested; the checkpoint decides when undefined. */
  dtype: Dtype | undefined;
}

export type WorkerReply =
  | { type: 'ready'; hiddenSize: number; maxTokens: number; dtype: Dtype }
  | { type: 'failed'; message: string }
  | { type: 'vectors'; id: number; vectors: Float32Array[] }
  | { type: 'error'; id: number; message: string };

export class WorkerRunner implements BatchRunner {
  private nextId = 0;
  /** Set once the worker is gone: every later run() fails with it. */
  private ended: Error | undefined;
  private readonly pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly backend: BackendName,
    readonly hiddenSize: number,
    readonly maxTokens: number,
    readonly dtype: Dtype,
  ) {
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type !== 'vectors' && reply.type !== 'error') return;
      const request = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.type === 'vectors') request?.resolve(reply.vectors);
      else request?.reject(new Error(reply.message));
    });
    worker.on('error', (error) => this.end(error));
    worker.on('exit', (code) => this.end(new Error(`sentvec worker thread exited with code ${code}`)));
    // an idle model must not keep the process alive
    worker.unref();
  }

  static start(setup: WorkerSetup): Promise<WorkerRunner> {
    // None of the process's flags: the worker runs only this package's files. Inherited, --input-type
    // (node --input-type=module -e …) refuses to start a worker from a file; passed on, Node refuses
    // V8 and per-process flags (node --expose-gc, --max-old-space-size) in a worker's execArgv.
    const worker = new Worker(new URL('./encode-worker.js', import.meta.url), { workerData: setup, execArgv: [] });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`sentvec worker thread exited with code ${code} while loading`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (reply: WorkerReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (reply.type === 'ready') {
          resolve(new WorkerRunner(worker, setup.backend, reply.hiddenSize, reply.maxTokens, reply.dtype));
        } else {
          void worker.terminate();
          reject(new Error(reply.type === 'failed' ? reply.message : 'sentvec worker thread answered before it was ready'));
        }
      });
    });
  }

  run(sequences: Int32Array[], options: RunOptions = {}): Promise<Float32Array[]> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, sequences, options });
    });
  }

  async close(): Promise<void> {
    this.end(new Error('the model was closed'));
    await this.worker.terminate();
  }

  private end(error: Error): void {
    this.ended ??= error;
    for (const request of this.pending.values()) request.reject(this.ended);
    this.pending.clear();
  }
}
