// Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), as torch.nn.functional.gelu(approximate='none').
// erf is Eigen's generic_fast_erf_float: an odd/even rational fit on [-4, 4] (erf is ±1 in
// float32 beyond), max abs error 4.2e-7 against a float64 erf, so GELU is within ~1e-6.
// No exp is needed, which keeps the SIMD body to multiplies, adds and one divide.

const ALPHA_1: f32 = -1.60960333262415e-02;
const ALPHA_3: f32 = -2.95459980854025e-03;
const ALPHA_5: f32 = -7.34990630326855e-04;
const ALPHA_7: f32 = -5.69250639462346e-05;
const ALPHA_9: f32 = -2.10102402082508e-06;
const ALPHA_11: f32 = 2.77068142495902e-08;
const ALPHA_13: f32 = -2.72614225801306e-10;
const BETA_0: f32 = -1.42647390514189e-02;
const BETA_2: f32 = -7.37332916720468e-03;
const BETA_4: f32 = -1.68282697438203e-03;
const BETA_6: f32 = -2.13374055278905e-04;
const BETA_8: f32 = -1.45660718464996e-05;
const SQRT1_2: f32 = 0.7071067811865476;

export function gelu(x: f32): f32 {
  const z = min<f32>(max<f32>(x * SQRT1_2, -4), 4);
  const z2 = z * z;
  let p = z2 * ALPHA_13 + ALPHA_11;
  p = z2 * p + ALPHA_9;
  p = z2 * p + ALPHA_7;
  p = z2 * p + ALPHA_5;
  p = z2 * p + ALPHA_3;
  p = z2 * p + ALPHA_1;
  let q = z2 * BETA_8 + BETA_6;
  q = z2 * q + BETA_4;
  q = z2 * q + BETA_2;
  q = z2 * q + BETA_0;
  return 0.5 * x * (1 + z * p / q);
}

/** gelu on four lanes: the same polynomial, lane for lane. */
// @ts-ignore: decorator
@inline export function geluX4(x: v128): v128 {
  const z = f32x4.min(f32x4.max(f32x4.mul(x, f32x4.splat(SQRT1_2)), f32x4.splat(-4)), f32x4.splat(4));
  const z2 = f32x4.mul(z, z);
  let p = f32x4.add(f32x4.mul(z2, f32x4.splat(ALPHA_13)), f32x4.splat(ALPHA_11));
  p = f32x4.add(f32x4.mul(z2, p), f32x4.splat(ALPHA_9));
  p = f32x4.add(f32x4.mul(z2, p), f32x4.splat(ALPHA_7));
  p = f32x4.add(f32x4.mul(z2, p), f32x4.splat(ALPHA_5));
  p = f32x4.add(f32x4.mul(z2, p), f32x4.splat(ALPHA_3));
  p = f32x4.add(f32x4.mul(z2, p), f32x4.splat(ALPHA_1));
  let q = f32x4.add(f32x4.mul(z2, f32x4.splat(BETA_8)), f32x4.splat(BETA_6));
  q = f32x4.add(f32x4.mul(z2, q), f32x4.splat(BETA_4));
  q = f32x4.add(f32x4.mul(z2, q), f32x4.splat(BETA_2));
  q = f32x4.add(f32x4.mul(z2, q), f32x4.splat(BETA_0));
  const erf = f32x4.div(f32x4.mul(z, p), q);
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1), erf));
}
