// `sentvec bench --compare` on synthetic reports with realistic margins: a 2× difference is called
// one, a 1 % difference is called noise, and the verdict follows each figure's direction (more
// calls/s is better, more milliseconds is worse). No timing is run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import type { KernelResult } from '../src/bench/kernels.js';
import type { ModelResult } from '../src/bench/model.js';
import { compareReports } from '../src/bench/report.js';
import { SCHEMA, type BenchReport } from '../src/bench/run.js';
import { projectRoot } from './fixtures.js';

function kernelRow(shape: string, hz: number, rme: number): KernelResult {
  return {
    kernel: 'linear', shape, backend: 'native', variant: 'avx2', threads: 1, checked: 0.1,
    hz: { value: hz, rme, samples: 20 }, ms: { value: 1000 / hz, rme, samples: 20 },
  };
}

function modelRow(p50: number, rme: number): ModelResult {
  const estimate = (value: number) => ({ value, rme, samples: 3 });
  return {
    backend: 'native', dtype: 'fp32', threads: 1,
    coldStartMs: estimate(300), processToFirstVectorMs: estimate(350), peakRssMB: estimate(150),
    batches: [{ batch: 32, sentencesPerSecond: estimate(400), sentencesPerCpuSecond: 410 }],
    p50Ms: { value: p50, rme, samples: 100 }, p99Ms: { value: 2 * p50, rme: 3 * rme, samples: 100 },
  };
}

function report(kernels: KernelResult[], models: ModelResult[]): BenchReport {
  return {
    schema: SCHEMA, createdAt: '2026-01-01T00:00:00.000Z',
    machine: {
      cpu: 'Test CPU', cores: 2, cpuFlags: ['avx2', 'fma'], platform: 'linux x64', node: 'v20.0.0', v8: '11', sentvec: '0.1.0',
      benchmarkJs: '2.1.4', environment: {}, loadBefore: 0.5, loadAfter: 0.7,
    },
    settings: {} as BenchReport['settings'],
    peaks: [], kernels, models, skipped: [], warnings: [], seconds: 60,
  };
}

const SLOW = 'M=128 K=384 N=1536 gelu f32';
const SAME = 'M=128 K=384 N=384 bias f32';
const a = report([kernelRow(SLOW, 50, 2.5), kernelRow(SAME, 400, 1.8)], [modelRow(10, 2)]);
const b = report([kernelRow(SLOW, 100, 3.1), kernelRow(SAME, 404, 2.2)], [modelRow(20, 2.5)]);

test('bench --compare: a 2× difference is one, a 1 % difference is noise', (t) => {
  const comparisons = compareReports(a, b);
  const find = (figure: RegExp) => comparisons.find((c) => figure.test(c.figure))!;
  const doubled = find(/N=1536 gelu f32 native avx2 ×1 calls\/s/);
  t.equal(doubled.ratio.value, 2, 'b/a = 2');
  t.equal(doubled.withinNoise, false, '2× with 2.5 % and 3.1 % margins is a difference');
  t.equal(doubled.bBetter, true, 'twice the calls/s is better');
  const close = find(/N=384 bias f32/);
  t.ok(Math.abs(close.ratio.value - 1.01) < 1e-9, 'b/a = 1.01');
  t.equal(close.withinNoise, true, '1 % with 1.8 % and 2.2 % margins is noise');
  const latency = find(/p50 ms/);
  t.equal(latency.withinNoise, false, 'p50 doubled is a difference');
  t.equal(latency.bBetter, false, 'twice the milliseconds is worse');
  t.equal(find(/batch 32 sentences\/s/).withinNoise, true, 'equal throughput is noise');
  t.end();
});

test('sentvec bench --compare prints each verdict', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-compare-'));
  const [fileA, fileB] = [path.join(dir, 'a.json'), path.join(dir, 'b.json')];
  fs.writeFileSync(fileA, JSON.stringify(a));
  fs.writeFileSync(fileB, JSON.stringify(b));
  const cli = path.join(projectRoot, 'dist', 'src', 'cli.js');
  const run = spawnSync(process.execPath, [cli, 'bench', '--compare', fileA, fileB], { encoding: 'utf8' });
  const broken = spawnSync(process.execPath, [cli, 'bench', '--compare', fileA, cli], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true });
  t.equal(run.status, 0, `exit 0 ${run.stderr}`);
  const line = (pattern: RegExp) => run.stdout.split('\n').find((l) => pattern.test(l)) ?? '';
  t.match(line(/N=1536 gelu/), /2\.000 ±4\.0%\s+b better/, 'the 2× kernel: ratio, margin, verdict');
  t.match(line(/N=384 bias/), /1\.010 ±2\.8%\s+within noise/, 'the 1 % kernel: within noise');
  t.match(line(/p50 ms/), /b WORSE/, 'the slower latency');
  t.match(run.stdout, /3 differ beyond their combined 95 % margins/, 'the count of real differences');
  t.equal(broken.status, 1, 'a file that is not a report fails');
  t.match(broken.stderr, /not JSON|not a sentvec bench report/, 'and says why');
  t.end();
});
