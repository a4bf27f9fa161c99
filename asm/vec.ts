// Vector primitives over n floats at byte addresses (ggml's vec.h): a SIMD body with a
// leftovers loop, and its scalar twin for builds without SIMD.

import { hsum, madd } from './simd';

/** Σ a[i]·b[i] */
export function dot(a: usize, b: usize, n: i32): f32 {
  const bytes = <usize>n << 2;
  let i: usize = 0;
  let sum: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; i + 16 <= bytes; i += 16) acc = madd(v128.load(a + i), v128.load(b + i), acc);
    sum = hsum(acc);
  }
  for (; i < bytes; i += 4) sum += load<f32>(a + i) * load<f32>(b + i);
  return sum;
}

/** y[i] += alpha·x[i] */
export function axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  const bytes = <usize>n << 2;
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const alphaV = f32x4.splat(alpha);
    for (; i + 16 <= bytes; i += 16) v128.store(y + i, madd(alphaV, v128.load(x + i), v128.load(y + i)));
  }
  for (; i < bytes; i += 4) store<f32>(y + i, load<f32>(y + i) + alpha * load<f32>(x + i));
}

/** y[i] = alpha·y[i] */
export function scale(y: usize, alpha: f32, n: i32): void {
  const bytes = <usize>n << 2;
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const alphaV = f32x4.splat(alpha);
    for (; i + 16 <= bytes; i += 16) v128.store(y + i, f32x4.mul(alphaV, v128.load(y + i)));
  }
  for (; i < bytes; i += 4) store<f32>(y + i, alpha * load<f32>(y + i));
}
