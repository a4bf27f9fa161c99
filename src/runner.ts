// Runs batches of token ids through the graph and the head after it (heads.ts). The inline runner does it on the calling thread; under Node the native
// backend runs the same inline runner inside a worker thread (worker-runner.ts).

import type { BackendName, Kernels } from './backend/kernels.js';
import { runHead, type HeadWeights, type RunOptions } from './heads.js';
import type { Dtype } from './load-graph.js';
import { packedBatch, type Encoder } from './models/transformer.js';

/** Resolves on a later turn of the event loop, after pending timers and I/O have run. */
export const nextTurn = () => new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

export interface BatchRunner {
  readonly backend: BackendName;
  readonly hiddenSize: number;
  /** Highest token count a sequence may have, from the position table. */
  readonly maxTokens: number;
  /** The precision the encoder's Linear layers run at. */
  readonly dtype: Dtype;
  /** What the head gives per sequence (a sentence vector, or a classifier's logits), in order. */
  run(sequences: Int32Array[], options?: RunOptions): Promise<Float32Array[]>;
  /** Releases what the runner holds beyond garbage collection's reach (a worker thread). */
  close(): Promise<void>;
}

export class InlineRunner<Buf> implements BatchRunner {
  readonly backend: BackendName;
  readonly hiddenSize: number;
  readonly maxTokens: number;
  private closed = false;

  constructor(
    private readonly kernels: Kernels<Buf>,
    private readonly encoder: Encoder<Buf>,
    private readonly head: HeadWeights<Buf>,
    readonly dtype: Dtype,
    /** The weight files, named when the forward pass overflows. */
    private readonly weightFiles: string,
  ) {
    this.backend = kernels.name;
    this.hiddenSize = encoder.hiddenSize;
    this.maxTokens = encoder.maxTokens;
  }

  /** Lets other work run before each batch, so a long encode does not hold the event loop. */
  async run(sequences: Int32Array[], options: RunOptions = {}): Promise<Float32Array[]> {
    await nextTurn();
    if (this.closed) throw new Error('the model was closed');
    return this.runNow(sequences, options);
  }

  /** Later runs fail, as they do once a worker runner has stopped its thread. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** Runs the batch's sequences back to back through the graph and the head. */
  runNow(sequences: Int32Array[], options: RunOptions = {}): Float32Array[] {
    const k = this.kernels;
    const batch = packedBatch(sequences, options.typeIds);
    const hidden = this.encoder.forward(batch);
    let vectors: Float32Array[];
    try {
      vectors = runHead(k, this.head, hidden, batch, this.encoder.hiddenSize, options);
    } finally {
      k.free(hidden);
    }
    // Finite weights can still overflow float32 on the way (a torch model gives inf or NaN there
    // too); a vector that is not finite is refused rather than returned.
    for (const vector of vectors) {
      const bad = vector.find((value) => value - value !== 0);
      if (bad !== undefined) {
        throw new Error(`${this.weightFiles}: the forward pass gave a vector that is not finite (${bad}): ` +
          'weights large enough to overflow float32');
      }
    }
    return vectors;
  }
}
