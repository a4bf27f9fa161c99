// The statistics every bench figure carries: a value with its relative margin of error (RME: the
// half-width of the 95 % confidence interval, in percent of the value, as benchmark.js reports
// it). Means use Student's t; quantiles use the distribution-free interval between order
// statistics. Comparing two runs combines both margins, so a ratio is only called a difference
// when it lies outside them.

/** A measured figure: its value, the RME in percent at 95 % confidence, and how many samples made it. */
export interface Estimate {
  value: number;
  rme: number;
  samples: number;
}

// Two-sided 95 % Student t critical values by degrees of freedom 1..30 (benchmark.js uses the same).
const T_TABLE = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const Z_95 = 1.96;

function tCritical(degreesOfFreedom: number): number {
  return T_TABLE[degreesOfFreedom - 1] ?? Z_95;
}

/** The mean of `values` with its RME; it takes two values at least to have a margin. */
export function meanEstimate(values: number[]): Estimate {
  const n = values.length;
  if (n < 2) throw new Error(`meanEstimate: ${n} values, a margin of error needs 2 at least`);
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  if (mean === 0) return { value: mean, rme: 0, samples: n };
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  const rme = (100 * tCritical(n - 1) * Math.sqrt(variance / n)) / Math.abs(mean);
  return { value: mean, rme, samples: n };
}

/**
 * The p-quantile of `values` with the RME of its 95 % interval between order statistics
 * (ranks n·p ± 1.96·√(n·p·(1−p))), which assumes nothing about the distribution.
 */
export function quantileEstimate(values: number[], p: number): Estimate {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) throw new Error('quantileEstimate: no values');
  const at = (rank: number) => sorted[Math.min(n - 1, Math.max(0, rank))];
  const value = at(Math.ceil(n * p) - 1);
  const spread = Z_95 * Math.sqrt(n * p * (1 - p));
  const low = at(Math.floor(n * p - spread) - 1);
  const high = at(Math.ceil(n * p + spread) - 1);
  const rme = value === 0 ? 0 : (100 * Math.max(value - low, high - value)) / Math.abs(value);
  return { value, rme, samples: n };
}

/** numerator / denominator with the RMEs combined in quadrature, as for independent relative errors. */
export function ratioEstimate(numerator: Estimate, denominator: Estimate): Estimate {
  return {
    value: numerator.value / denominator.value,
    rme: Math.hypot(numerator.rme, denominator.rme),
    samples: Math.min(numerator.samples, denominator.samples),
  };
}

/**
 * Differences smaller than this (percent) are called noise whatever the RMEs say: one run's RME
 * measures the spread within that run, not the drift between runs (clock boost, thread
 * placement, page cache), which on a laptop or a shared host is a few percent.
 */
export const RUN_TO_RUN_PERCENT = 3;

/** Whether the ratio of two estimates lies within their combined margin (or the run-to-run floor). */
export function withinNoise(ratio: Estimate): boolean {
  return Math.abs(ratio.value - 1) * 100 <= Math.max(ratio.rme, RUN_TO_RUN_PERCENT);
}
