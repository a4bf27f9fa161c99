// Dynamic batching: the token ids of every waiting request to one model are pooled, sorted by
// length and cut into batches by the same rule encode() uses (lengthSortedBatches), then run back
// to back; each request gets its own vectors back in its own order.

import { lengthSortedBatches } from '../batching.js';
import type { SentenceModel } from '../encoder.js';

export interface QueueLimits {
  /** Most tokens in one forward pass. */
  maxBatchTokens: number;
  /** Most sequences in one forward pass. */
  maxBatchSize: number;
}

/** What the queue reports for /metrics. */
export interface BatchObserver {
  batchStarted(size: number, tokens: number): void;
  batchFinished(size: number, tokens: number, seconds: number): void;
}

/** Raised for work whose client went away before it ran. */
export class CancelledError extends Error {}

interface Job {
  sequences: Int32Array[];
  vectors: Float32Array[];
  /** Sequences not yet answered. */
  remaining: number;
  signal: AbortSignal | undefined;
  resolve(vectors: Float32Array[]): void;
  reject(error: Error): void;
}

interface Item {
  job: Job;
  index: number;
}

// A round takes at most this many batches' worth of the oldest waiting sequences: enough to sort
// requests of different lengths together, few enough that a request arriving now waits for at
// most a few batches, and every sequence runs in the round that took it (none starves).
const ROUND_BATCHES = 4;
// One batch runs while the next is already posted, so the model never waits on this thread.
const BATCHES_IN_FLIGHT = 2;

export class EmbeddingQueue {
  /** Jobs with sequences not yet in a round, oldest first; `next` is the first such sequence. */
  private readonly waiting: { job: Job; next: number }[] = [];
  private round: Item[][] = [];
  private inFlight = 0;
  private waitingSequences = 0;

  constructor(
    private readonly model: SentenceModel,
    private readonly limits: QueueLimits,
    private readonly observer: BatchObserver,
  ) {}

  /** Sequences waiting for a batch, for the queue-depth gauge. */
  get depth(): number {
    return this.waitingSequences + this.round.reduce((sum, batch) => sum + batch.length, 0);
  }

  /** Vectors of `sequences` (validated token ids) in order; rejects with CancelledError once `signal` aborts. */
  embed(sequences: Int32Array[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (signal?.aborted) return Promise.reject(new CancelledError('the client went away'));
    if (sequences.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const job: Job = { sequences, vectors: new Array(sequences.length), remaining: sequences.length, signal, resolve, reject };
      signal?.addEventListener('abort', () => reject(new CancelledError('the client went away')), { once: true });
      this.waiting.push({ job, next: 0 });
      this.waitingSequences += sequences.length;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < BATCHES_IN_FLIGHT) {
      if (this.round.length === 0) this.round = this.nextRound();
      const batch = this.round.shift()?.filter((item) => !item.job.signal?.aborted);
      if (batch === undefined) return;
      if (batch.length > 0) this.dispatch(batch);
    }
  }

  private nextRound(): Item[][] {
    const items: Item[] = [];
    let tokens = 0;
    const maxItems = ROUND_BATCHES * this.limits.maxBatchSize;
    const maxTokens = ROUND_BATCHES * this.limits.maxBatchTokens;
    while (this.waiting.length > 0 && items.length < maxItems && tokens < maxTokens) {
      const entry = this.waiting[0];
      const count = entry.job.sequences.length;
      if (entry.job.signal?.aborted) {
        this.waitingSequences -= count - entry.next;
        this.waiting.shift();
        continue;
      }
      items.push({ job: entry.job, index: entry.next });
      tokens += entry.job.sequences[entry.next].length;
      this.waitingSequences--;
      if (++entry.next === count) this.waiting.shift();
    }
    const lengths = items.map((item) => item.job.sequences[item.index].length);
    return lengthSortedBatches(lengths, this.limits).map((batch) => batch.map((i) => items[i]));
  }

  private dispatch(batch: Item[]): void {
    const sequences = batch.map((item) => item.job.sequences[item.index]);
    const tokens = sequences.reduce((sum, ids) => sum + ids.length, 0);
    this.inFlight++;
    this.observer.batchStarted(batch.length, tokens);
    const started = performance.now();
    this.model.encodeTokenized(sequences).then(
      (vectors) => {
        this.observer.batchFinished(batch.length, tokens, (performance.now() - started) / 1000);
        batch.forEach((item, b) => {
          item.job.vectors[item.index] = vectors[b];
          if (--item.job.remaining === 0) item.job.resolve(item.job.vectors);
        });
      },
      (error: Error) => {
        for (const item of batch) item.job.reject(error);
      },
    ).finally(() => {
      this.inFlight--;
      this.pump();
    });
  }
}
