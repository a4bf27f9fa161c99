// /metrics in the Prometheus text format (exposition format 0.0.4): request counts by route and
// status, queue depth, batch size and batch token histograms, token throughput, inference time.

import type { BatchObserver } from './queue.js';

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.bounds.forEach((bound, i) => {
      if (value <= bound) this.counts[i]++;
    });
    this.sum += value;
    this.count++;
  }

  lines(name: string): string[] {
    return [
      ...this.bounds.map((bound, i) => `${name}_bucket{le="${bound}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

const powersOfTwo = (from: number, to: number) => Array.from({ length: Math.log2(to / from) + 1 }, (_, i) => from * 2 ** i);
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// tokens/s is measured over the batches that finished in the last THROUGHPUT_WINDOW seconds
const THROUGHPUT_WINDOW = 10;

export class Metrics implements BatchObserver {
  private readonly requests = new Map<string, number>();
  private readonly batchSize = new Histogram(powersOfTwo(1, 1024));
  private readonly batchTokens = new Histogram(powersOfTwo(64, 65536));
  private readonly inferenceSeconds = new Histogram(SECONDS);
  private readonly requestSeconds = new Histogram(SECONDS);
  private tokensTotal = 0;
  private recent: { at: number; tokens: number }[] = [];

  constructor(private readonly gauges: () => { queueDepth: number; requestsInFlight: number }) {}

  request(route: string, status: number, seconds: number): void {
    const key = `route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.requestSeconds.observe(seconds);
  }

  batchStarted(size: number, tokens: number): void {
    this.batchSize.observe(size);
    this.batchTokens.observe(tokens);
  }

  batchFinished(_size: number, tokens: number, seconds: number): void {
    this.inferenceSeconds.observe(seconds);
    this.tokensTotal += tokens;
    this.recent.push({ at: performance.now() / 1000, tokens });
  }

  private tokensPerSecond(): number {
    const now = performance.now() / 1000;
    this.recent = this.recent.filter((batch) => batch.at > now - THROUGHPUT_WINDOW);
    return this.recent.reduce((sum, batch) => sum + batch.tokens, 0) / THROUGHPUT_WINDOW;
  }

  text(): string {
    const { queueDepth, requestsInFlight } = this.gauges();
    const family = (name: string, type: string, help: string, lines: string[]) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines];
    return [
      ...family('sentvec_requests_total', 'counter', 'HTTP requests by route and status.', [...this.requests].map(([labels, n]) => `sentvec_requests_total{${labels}} ${n}`)),
      ...family('sentvec_request_duration_seconds', 'histogram', 'Time from request to response.', this.requestSeconds.lines('sentvec_request_duration_seconds')),
      ...family('sentvec_queue_depth', 'gauge', 'Sequences waiting for a batch.', [`sentvec_queue_depth ${queueDepth}`]),
      ...family('sentvec_requests_in_flight', 'gauge', 'Admitted requests not yet answered.', [`sentvec_requests_in_flight ${requestsInFlight}`]),
      ...family('sentvec_batch_size', 'histogram', 'Sequences per forward pass.', this.batchSize.lines('sentvec_batch_size')),
      ...family('sentvec_batch_tokens', 'histogram', 'Tokens per forward pass.', this.batchTokens.lines('sentvec_batch_tokens')),
      ...family('sentvec_inference_duration_seconds', 'histogram', 'Time of one forward pass.', this.inferenceSeconds.lines('sentvec_inference_duration_seconds')),
      ...family('sentvec_tokens_total', 'counter', 'Tokens run through a model.', [`sentvec_tokens_total ${this.tokensTotal}`]),
      ...family('sentvec_tokens_per_second', 'gauge', `Tokens run per second over the last ${THROUGHPUT_WINDOW} s.`, [`sentvec_tokens_per_second ${this.tokensPerSecond()}`]),
    ].join('\n') + '\n';
  }
}
