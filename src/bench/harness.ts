// benchmark.js, the harness every figure of `sentvec bench` is sampled by: it calibrates how many
// calls make one timed sample, takes samples until its time budget is spent, and reports the
// mean with its RME. It is an optional dependency loaded only here, so importing sentvec never
// pulls it in; where it was left out (npm install --omit=optional) the bench says how to add it.
import { createRequire } from 'node:module';
import type { Estimate } from './stats.js';

/** How long benchmark.js samples each case (seconds), and how many samples it takes at least. */
export interface Sampling {
  maxTime: number;
  minTime: number;
  minSamples: number;
}

interface BenchmarkStats {
  rme: number;
  mean: number;
  sample: number[];
}

interface Benchmark {
  name: string;
  hz: number;
  stats: BenchmarkStats;
  error?: Error;
}

interface Deferred {
  resolve(): void;
}

interface BenchmarkOptions extends Sampling {
  defer?: boolean;
  fn: ((deferred: Deferred) => void) | (() => void);
  onStart?: () => void;
  onComplete?: () => void;
}

interface Suite {
  add(name: string, options: BenchmarkOptions): Suite;
  on(event: 'complete', listener: () => void): Suite;
  run(options: { async: boolean }): Suite;
  [index: number]: Benchmark;
  length: number;
}

interface BenchmarkModule {
  Suite: new (name: string) => Suite;
  version: string;
}

export const BENCHMARK_VERSION = '2.1.4';

let loaded: BenchmarkModule | undefined;

/** benchmark.js, or an Error saying how to install it. */
export function benchmarkModule(): BenchmarkModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('benchmark') as BenchmarkModule;
  } catch (error) {
    throw new Error(
      `sentvec bench needs benchmark.js, an optional dependency that was not installed ` +
      `(${(error as Error).message.split('\n')[0]}): npm install benchmark@${BENCHMARK_VERSION}`,
    );
  }
  return loaded;
}

/** One case's result: calls per wall-clock second with its RME, and CPU seconds of this process per call. */
export interface Timing {
  hz: Estimate;
  cpuSecondsPerCall: number;
}

export interface TimedCase {
  name: string;
  /** A synchronous call, or (async) one whose promise settles when the call is done. */
  run: () => void | Promise<unknown>;
}

/**
 * Samples every case in one Benchmark.Suite, one after the other, and returns each case's
 * calls/s with its RME. Async cases run as deferred benchmarks, one call per resolve. The CPU time
 * of the whole process (pool and worker threads included) is summed over each case's calls, so a
 * figure can be read per CPU-second too.
 */
export async function runSuite(name: string, cases: TimedCase[], sampling: Sampling, async = false): Promise<(Timing | Error)[]> {
  const { Suite } = benchmarkModule();
  const suite = new Suite(name);
  const tallies: { calls: number; seconds: number; failure?: Error }[] = [];
  cases.forEach((timedCase) => {
    const tally: (typeof tallies)[number] = { calls: 0, seconds: 0 };
    tallies.push(tally);
    let startedAt: NodeJS.CpuUsage;
    // A rejected call still resolves the deferred (benchmark.js would wait forever), and fails the case.
    const fn = async
      ? (deferred: Deferred) => {
        tally.calls++;
        (timedCase.run() as Promise<unknown>).then(() => deferred.resolve(), (error: Error) => {
          tally.failure ??= error;
          deferred.resolve();
        });
      }
      : () => {
        tally.calls++;
        timedCase.run();
      };
    suite.add(`${name}: ${timedCase.name}`, {
      ...sampling,
      defer: async,
      fn,
      onStart: () => (startedAt = process.cpuUsage()),
      onComplete: () => {
        const used = process.cpuUsage(startedAt);
        tally.seconds = (used.user + used.system) / 1e6;
      },
    });
  });
  await new Promise<void>((resolve) => suite.on('complete', () => resolve()).run({ async }));
  return tallies.map((tally, index) => {
    const benchmark = suite[index];
    if (benchmark.error || tally.failure) return (benchmark.error ?? tally.failure)!;
    return {
      hz: { value: benchmark.hz, rme: benchmark.stats.rme, samples: benchmark.stats.sample.length },
      cpuSecondsPerCall: tally.seconds / Math.max(1, tally.calls),
    };
  });
}
