// Reading a BenchReport: the tables `sentvec bench` prints, the check that a JSON file is one,
// and `--compare`: the ratio of every figure two reports share, with its margin, and whether the
// difference is outside the noise.
import type { KernelResult } from './kernels.js';
import type { ModelResult } from './model.js';
import { SCHEMA, type BenchReport } from './run.js';
import { ratioEstimate, RUN_TO_RUN_PERCENT, withinNoise, type Estimate } from './stats.js';

function fixed(value: number): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toFixed(digits);
}

function margin(estimate: Estimate): string {
  return `±${estimate.rme.toFixed(1)}%`;
}

function withMargin(estimate: Estimate | undefined): string {
  return estimate === undefined ? '—' : `${fixed(estimate.value)} ${margin(estimate)}`;
}

function table(header: string[], rows: string[][], rightFrom: number): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells
    .map((cell, column) => (column >= rightFrom ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
    .join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function machineLine(report: BenchReport): string {
  const { machine } = report;
  const isas = [...new Set(report.kernels.map((row) => `${row.backend} ${row.variant}`))];
  return [
    `machine: ${machine.cpu}, ${machine.cores} cores, flags ${machine.cpuFlags.join(' ') || '(unknown)'}; ${machine.platform}; ` +
      `Node ${machine.node}; sentvec ${machine.sentvec}, benchmark.js ${machine.benchmarkJs}` +
      Object.entries(machine.environment).map(([name, value]) => `; ${name}=${value}`).join(''),
    `load average ${machine.loadBefore.toFixed(2)} before, ${machine.loadAfter.toFixed(2)} after; ${report.seconds.toFixed(0)} s` +
      (isas.length ? `; kernels ran on ${isas.join(', ')}` : ''),
  ].join('\n');
}

function targetLabel(row: { backend: string; variant: string; threads: number }): string {
  return `${row.backend} ${row.variant} ×${row.threads}`;
}

function kernelTable(report: BenchReport): string {
  const rows = report.kernels.map((row) => [
    row.kernel, row.shape, targetLabel(row),
    ...(row.error ? [`error: ${row.error}`, '', '', '', '', ''] : [
      withMargin(row.hz), String(row.hz!.samples), withMargin(row.ms),
      row.gflops ? fixed(row.gflops.value) : '—',
      row.percentOfPeak ? `${row.percentOfPeak.value.toFixed(0)}%` : '—',
      row.gflopsPerCpuSecond !== undefined ? fixed(row.gflopsPerCpuSecond) : '—',
    ]),
  ]);
  return table(['kernel', 'shape', 'backend', 'calls/s', 'n', 'ms/call', 'GFLOP/s', '% peak', 'GFLOP/CPU-s'], rows, 3);
}

/**
 * The GELU epilogue's cost per output element, f32 on one thread: a C→F Linear with GELU minus
 * the same without, its margin the two calls' margins in quadrature (it may well be all noise).
 */
function geluLines(kernels: KernelResult[]): string[] {
  const lines: string[] = [];
  const oneThreadF32 = (row: KernelResult) => row.kernel === 'linear' && row.threads === 1 && row.shape.endsWith(' f32') && row.ms;
  for (const withGelu of kernels.filter((row) => oneThreadF32(row) && / gelu /.test(row.shape))) {
    const plainShape = withGelu.shape.replace(' gelu ', ' bias ');
    const plain = kernels.find((row) => row.shape === plainShape && targetLabel(row) === targetLabel(withGelu) && row.ms);
    if (!plain) continue;
    const [, M, N] = /M=(\d+) K=\d+ N=(\d+)/.exec(withGelu.shape)!.map(Number);
    const [a, b] = [withGelu.ms!, plain.ms!];
    const difference = a.value - b.value;
    const spread = Math.hypot((a.value * a.rme) / 100, (b.value * b.rme) / 100);
    const perElement = (difference * 1e6) / (M * N);
    lines.push(`gelu epilogue, ${targetLabel(withGelu)}: ${perElement.toFixed(2)} ± ${((spread * 1e6) / (M * N)).toFixed(2)} ns per element`);
  }
  return lines;
}

function peakLine(report: BenchReport): string {
  if (report.peaks.length === 0) return 'FMA peak: not measured (no native addon)';
  const cells = report.peaks.map((peak) => `${peak.isa} ×${peak.threads} ${fixed(peak.machine)} GFLOP/s (${fixed(peak.perCore)} per core)`);
  return `FMA peak, best of the addon's FMA loop per CPU-second × threads: ${cells.join('; ')}`;
}

function modelTable(report: BenchReport): string {
  const batches = report.settings.batches;
  const rows = report.models.map((row: ModelResult) => [
    row.isa ? `${row.backend} ${row.isa}` : row.backend, row.dtype, `×${row.threads}`,
    ...(row.error ? [`error: ${row.error}`, ...batches.map(() => ''), '', '', '', ''] : [
      withMargin(row.coldStartMs), withMargin(row.peakRssMB),
      ...batches.map((batch) => withMargin(row.batches?.find((cell) => cell.batch === batch)?.sentencesPerSecond)),
      withMargin(row.p50Ms), withMargin(row.p99Ms),
    ]),
  ]);
  return table(['backend', 'dtype', 'threads', 'cold start ms', 'peak RSS MiB', ...batches.map((b) => `batch ${b} sent/s`), 'p50 ms', 'p99 ms'], rows, 3);
}

/** The whole human-readable report: machine, kernel table, peaks, model table, warnings. */
export function formatReport(report: BenchReport): string {
  const { settings } = report;
  const parts = [machineLine(report)];
  if (report.kernels.length) {
    const { shape } = settings;
    parts.push(
      `\nkernels at ${shape.source} (C=${shape.C} F=${shape.F} NH=${shape.NH}), ${settings.kernelBatch.B} sentences × ` +
      `${settings.kernelBatch.T} tokens: wall time sampled by benchmark.js, ` +
      'each figure ±95 % margin (RME), n samples; output checked against the js reference first',
      kernelTable(report), peakLine(report), ...geluLines(report.kernels),
    );
  }
  if (report.models.length) {
    parts.push(
      `\nmodel ${settings.model}: ${settings.sentenceCount} ${settings.sentencesSource} sentences; ` +
      `cold start = import → load → first vector in a fresh process (mean of ${settings.coldRuns}); ` +
      'peak RSS of that process after one batch of 32; p50/p99 of single-sentence encode() calls',
      modelTable(report),
    );
  }
  parts.push(...report.skipped.map((reason) => `skipped: ${reason}`));
  parts.push(...report.warnings.map((warning) => `WARNING: ${warning}`));
  return parts.join('\n');
}

/** The report in `json`, or an Error naming `file` and what is missing. */
export function parseReport(json: string, file: string): BenchReport {
  let report: BenchReport;
  try {
    report = JSON.parse(json);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const problem = reportProblem(report);
  if (problem) throw new Error(`${file}: not a sentvec bench report: ${problem}`);
  return report;
}

function isEstimate(value: unknown): boolean {
  const e = value as Estimate;
  return typeof e === 'object' && e !== null && typeof e.value === 'number' && typeof e.rme === 'number' && Number.isInteger(e.samples);
}

/** What makes `report` not a BenchReport of this schema, or undefined when it is one. */
export function reportProblem(report: BenchReport): string | undefined {
  if (typeof report !== 'object' || report === null) return 'not an object';
  if (report.schema !== SCHEMA) return `schema is ${JSON.stringify(report.schema)}, expected ${SCHEMA}`;
  const machine = report.machine;
  if (typeof machine?.cpu !== 'string' || !Number.isInteger(machine.cores) || typeof machine.node !== 'string' ||
    typeof machine.loadBefore !== 'number' || typeof machine.loadAfter !== 'number' || !Array.isArray(machine.cpuFlags)) {
    return 'machine lacks cpu, cores, cpuFlags, node or load averages';
  }
  if (!Array.isArray(report.peaks) || !Array.isArray(report.kernels) || !Array.isArray(report.models)) return 'peaks, kernels or models is not a list';
  for (const [index, row] of report.kernels.entries()) {
    if (typeof row.kernel !== 'string' || typeof row.shape !== 'string' || typeof row.backend !== 'string' || !Number.isInteger(row.threads)) {
      return `kernels[${index}] lacks kernel, shape, backend or threads`;
    }
    if (row.error === undefined && !(isEstimate(row.hz) && isEstimate(row.ms))) return `kernels[${index}] has neither timings nor an error`;
  }
  for (const [index, row] of report.models.entries()) {
    if (typeof row.backend !== 'string' || typeof row.dtype !== 'string' || !Number.isInteger(row.threads)) return `models[${index}] lacks backend, dtype or threads`;
    if (row.error === undefined && !(isEstimate(row.coldStartMs) && isEstimate(row.p50Ms) && Array.isArray(row.batches) &&
      row.batches.every((cell) => isEstimate(cell.sentencesPerSecond)))) {
      return `models[${index}] has neither timings nor an error`;
    }
  }
  return undefined;
}

export interface Comparison {
  /** Which row and figure: 'linear M=128 K=384 N=384 bias f32 native avx2 ×1 calls/s'. */
  figure: string;
  a: Estimate;
  b: Estimate;
  /** b / a with the margins combined. */
  ratio: Estimate;
  withinNoise: boolean;
  /** Whether b is the better of the two (more calls/s, fewer ms or MB), when the difference is real. */
  bBetter: boolean;
}

interface Figure {
  name: string;
  estimate: Estimate | undefined;
  higherIsBetter: boolean;
}

function figuresOf(report: BenchReport): Map<string, Figure> {
  const figures = new Map<string, Figure>();
  const add = (name: string, estimate: Estimate | undefined, higherIsBetter: boolean) => {
    if (estimate) figures.set(name, { name, estimate, higherIsBetter });
  };
  for (const row of report.kernels) add(`${row.kernel} ${row.shape} ${targetLabel(row)} calls/s`, row.hz, true);
  for (const row of report.models) {
    const cell = `model ${row.backend} ${row.dtype} ×${row.threads}`;
    for (const batch of row.batches ?? []) add(`${cell} batch ${batch.batch} sentences/s`, batch.sentencesPerSecond, true);
    add(`${cell} p50 ms`, row.p50Ms, false);
    add(`${cell} p99 ms`, row.p99Ms, false);
    add(`${cell} cold start ms`, row.coldStartMs, false);
    add(`${cell} peak RSS MiB`, row.peakRssMB, false);
  }
  return figures;
}

/** Every figure both reports hold, in a's order: the ratio b/a, its margin, and whether it is noise. */
export function compareReports(a: BenchReport, b: BenchReport): Comparison[] {
  const inB = figuresOf(b);
  const comparisons: Comparison[] = [];
  for (const [name, figure] of figuresOf(a)) {
    const other = inB.get(name);
    if (!other) continue;
    const ratio = ratioEstimate(other.estimate!, figure.estimate!);
    const noise = withinNoise(ratio);
    comparisons.push({
      figure: name, a: figure.estimate!, b: other.estimate!, ratio, withinNoise: noise,
      bBetter: !noise && (ratio.value > 1) === figure.higherIsBetter,
    });
  }
  return comparisons;
}

export function formatComparison(a: BenchReport, b: BenchReport, fileA: string, fileB: string): string {
  const comparisons = compareReports(a, b);
  const rows = comparisons.map((c) => [
    c.figure, withMargin(c.a), withMargin(c.b), `${c.ratio.value.toFixed(3)} ${margin(c.ratio)}`,
    c.withinNoise ? 'within noise' : c.bBetter ? 'b better' : 'b WORSE',
  ]);
  const differing = comparisons.filter((c) => !c.withinNoise).length;
  return [
    `a: ${fileA}\n${machineLine(a)}`,
    `b: ${fileB}\n${machineLine(b)}`,
    '',
    table(['figure', 'a', 'b', 'b/a', 'verdict'], rows, 1),
    '',
    `${comparisons.length} figures in both; ${differing} differ beyond their combined 95 % margins ` +
      `(and beyond ${RUN_TO_RUN_PERCENT} %, the run-to-run drift one run's margin does not see); the rest are within noise`,
    ...[a, b].flatMap((report, i) => report.warnings.map((warning) => `WARNING (${i ? 'b' : 'a'}): ${warning}`)),
  ].join('\n');
}
