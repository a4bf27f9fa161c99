// e^x for the softmax, the native kernels' Cephes expf (native/simd.h exp_approx): x = n·ln2 + r
// with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n by exponent bits. Relative error below
// 2e-7 over the clamped range; inputs below −87.3 give ~1e-38 instead of 0.

import { madd } from './simd';

const HI: f32 = 88.0;
const LO: f32 = -87.3;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = -0.693359375;
const LN2_LO: f32 = 2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

export function exp(x: f32): f32 {
  if (isNaN(x)) return x;  // the scalar build's float-to-int conversion would trap on it
  x = min<f32>(HI, max<f32>(LO, x));
  const n: f32 = nearest<f32>(x * LOG2E);
  let r = n * LN2_HI + x;
  r = n * LN2_LO + r;
  let p = P0 * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = p * (r * r) + (r + 1);
  return p * reinterpret<f32>((<i32>n + 127) << 23);
}

/** exp on four lanes: the same polynomial, lane for lane (a NaN lane stays NaN). */
// @ts-ignore: decorator
@inline export function expX4(x: v128): v128 {
  x = f32x4.min(f32x4.splat(HI), f32x4.max(f32x4.splat(LO), x));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = madd(n, f32x4.splat(LN2_HI), x);
  r = madd(n, f32x4.splat(LN2_LO), r);
  let p = madd(f32x4.splat(P0), r, f32x4.splat(P1));
  p = madd(p, r, f32x4.splat(P2));
  p = madd(p, r, f32x4.splat(P3));
  p = madd(p, r, f32x4.splat(P4));
  p = madd(p, r, f32x4.splat(P5));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}
