// `sentvec bench`: argument parsing and output. src/cli.ts hands it argv after 'bench'.
import fs from 'node:fs';
import { BACKEND_NAMES, type BackendName } from '../backend/kernels.js';
import type { Dtype } from '../load-graph.js';
import type { Sampling } from './harness.js';
import { DEFAULT_BATCH } from './kernels.js';
import { cores } from './machine.js';
import { formatComparison, formatReport, parseReport } from './report.js';
import { runBench, type BenchSettings } from './run.js';
import { BENCH_SENTENCES } from './sentences.js';

export const BENCH_USAGE = `usage: sentvec bench [--model DIR] [--backend native,wasm,js] [--dtype fp32,int8] [--threads 1,2]
                    [--batches 1,8,32,128] [--kernels-only | --model-only] [--input FILE] [--thorough] [--json]
       sentvec bench --compare A.json B.json
Times every kernel on every backend and ISA level this machine runs (GFLOP/s and % of the
measured FMA peak), and with --model the whole model: cold start, sentences/s at batch
1/8/32/128, p50/p99 latency, peak RSS, per backend, dtype and thread count. Every figure
carries its 95 % margin of error. --json prints the report as JSON (machine included) instead
of the table; --compare prints the ratios of two such reports and says which are noise.`;

class BenchUsageError extends Error {}

const DTYPES: readonly Dtype[] = ['fp32', 'int8'];
const BATCHES = [1, 8, 32, 128];

// The defaults fit a whole run, kernels and a MiniLM model, in about two minutes on two busy
// cores; --thorough samples five times longer for narrower margins.
const KERNEL_SAMPLING: Sampling = { maxTime: 0.05, minTime: 0.01, minSamples: 5 };
const MODEL_SAMPLING: Sampling = { maxTime: 0.3, minTime: 0.05, minSamples: 5 };
const COLD_RUNS = 3;
const LATENCY_QUERIES = 100;
const THOROUGH = 5;

function list<T extends string>(flag: string, value: string, valid: readonly T[]): T[] {
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(valid as readonly string[]).includes(item)) throw new BenchUsageError(`${flag}: '${item}' is not one of ${valid.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}

function countList(flag: string, value: string, what: string, limit: number): number[] {
  const counts = value.split(',').map(Number);
  if (!counts.every((count) => Number.isInteger(count) && count >= 1 && count <= limit)) {
    throw new BenchUsageError(`${flag}: '${value}' is not a list of ${what} in 1..${limit}`);
  }
  return [...new Set(counts)];
}

type Parsed = { compare: [string, string] } | { settings: BenchSettings; json: boolean };

export function parseBenchArguments(argv: string[]): Parsed {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (['--kernels-only', '--model-only', '--thorough', '--json'].includes(flag)) {
      switches.add(flag);
    } else if (flag === '--compare') {
      if (argv.length !== 3 || i !== 0) throw new BenchUsageError('--compare takes two report files and nothing else');
      return { compare: [argv[1], argv[2]] };
    } else if (['--model', '--backend', '--dtype', '--threads', '--batches', '--input'].includes(flag)) {
      if (argv[i + 1] === undefined) throw new BenchUsageError(`${flag} needs a value`);
      flags.set(flag, argv[++i]);
    } else {
      throw new BenchUsageError(`unknown flag '${flag}'`);
    }
  }
  if (switches.has('--kernels-only') && switches.has('--model-only')) throw new BenchUsageError('--kernels-only and --model-only exclude each other');
  const model = flags.get('--model');
  if (switches.has('--model-only') && model === undefined) throw new BenchUsageError('--model-only needs --model DIR');
  const scale = switches.has('--thorough') ? THOROUGH : 1;
  const sample = (sampling: Sampling): Sampling => ({ ...sampling, maxTime: sampling.maxTime * scale });
  const input = flags.get('--input');
  let sentences = [...BENCH_SENTENCES];
  if (input !== undefined) {
    sentences = fs.readFileSync(input, 'utf8').split(/\r?\n/).filter((line) => line.trim() !== '');
    if (sentences.length === 0) throw new BenchUsageError(`--input ${input} holds no sentences`);
  }
  return {
    json: switches.has('--json'),
    settings: {
      model,
      backends: list<BackendName>('--backend', flags.get('--backend') ?? BACKEND_NAMES.join(','), BACKEND_NAMES),
      dtypes: list<Dtype>('--dtype', flags.get('--dtype') ?? DTYPES.join(','), DTYPES),
      threads: countList('--threads', flags.get('--threads') ?? [1, cores()].join(','), 'thread counts', 1024),
      kernels: !switches.has('--model-only'),
      models: !switches.has('--kernels-only'),
      kernelSampling: sample(KERNEL_SAMPLING),
      kernelBatch: DEFAULT_BATCH,
      modelSampling: sample(MODEL_SAMPLING),
      batches: countList('--batches', flags.get('--batches') ?? BATCHES.join(','), 'batch sizes', 4096),
      coldRuns: COLD_RUNS + (scale > 1 ? 2 : 0),
      latencyQueries: LATENCY_QUERIES * scale,
      sentences,
      sentencesSource: input ?? 'built-in STS-B-like',
    },
  };
}

export async function benchMain(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return;
  }
  let parsed: Parsed;
  try {
    parsed = parseBenchArguments(argv);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`sentvec bench: ${error.message} (sentvec bench --help for usage)\n`);
    process.exitCode = 2;
    return;
  }
  if ('compare' in parsed) {
    const [fileA, fileB] = parsed.compare;
    const [a, b] = [fileA, fileB].map((file) => parseReport(fs.readFileSync(file, 'utf8'), file));
    process.stdout.write(`${formatComparison(a, b, fileA, fileB)}\n`);
    return;
  }
  const report = await runBench(parsed.settings, (line) => process.stderr.write(`sentvec bench: ${line}\n`));
  process.stdout.write(parsed.json ? `${JSON.stringify(report, null, 1)}\n` : `${formatReport(report)}\n`);
}
