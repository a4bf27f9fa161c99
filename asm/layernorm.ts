// out (M,C) = (inp - mean) / sqrt(var + eps) · gamma (C) + beta (C), per row; out may alias inp.
// Two passes (mean, then squared deviations) as the reference, not E[x²] - E[x]², which
// cancels badly for rows with a large mean.

import { hsum } from './simd';

export function layerNorm(out: usize, inp: usize, gamma: usize, beta: usize, M: i32, C: i32, eps: f32): void {
  const rowBytes = <usize>C << 2;
  for (let m = 0; m < M; m++) {
    const x = inp + <usize>m * rowBytes;
    const y = out + <usize>m * rowBytes;
    const mean = sum(x, C, 0, false) / <f32>C;
    const variance = sum(x, C, mean, true) / <f32>C;
    const rstd: f32 = 1 / Mathf.sqrt(variance + eps);
    let c: usize = 0;
    if (ASC_FEATURE_SIMD) {
      const meanV = f32x4.splat(mean);
      const rstdV = f32x4.splat(rstd);
      for (; c + 16 <= rowBytes; c += 16) {
        const normalized = f32x4.mul(f32x4.sub(v128.load(x + c), meanV), rstdV);
        v128.store(y + c, f32x4.add(f32x4.mul(normalized, v128.load(gamma + c)), v128.load(beta + c)));
      }
    }
    for (; c < rowBytes; c += 4) {
      store<f32>(y + c, (load<f32>(x + c) - mean) * rstd * load<f32>(gamma + c) + load<f32>(beta + c));
    }
  }
}

// Σ (x[c] - center), squared when `squared`: the mean pass and the variance pass.
// @ts-ignore: decorator
@inline function sum(x: usize, C: i32, center: f32, squared: bool): f32 {
  const bytes = <usize>C << 2;
  let c: usize = 0;
  let total: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const centerV = f32x4.splat(center);
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; c + 32 <= bytes; c += 32) {
      let d0 = f32x4.sub(v128.load(x + c), centerV), d1 = f32x4.sub(v128.load(x + c, 16), centerV);
      if (squared) {
        d0 = f32x4.mul(d0, d0);
        d1 = f32x4.mul(d1, d1);
      }
      acc0 = f32x4.add(acc0, d0);
      acc1 = f32x4.add(acc1, d1);
    }
    total = hsum(f32x4.add(acc0, acc1));
  }
  for (; c < bytes; c += 4) {
    const d = load<f32>(x + c) - center;
    total += squared ? d * d : d;
  }
  return total;
}
