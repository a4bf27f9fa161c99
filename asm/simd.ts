// The few vector helpers the kernels are written over, one definition per build, as ggml's
// simd-mappings.h: only the fused multiply-add differs between the simd and relaxed builds.

/** a·b + c per lane: one rounding on relaxed-SIMD hardware FMA, two otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** The sum of the four lanes. */
// @ts-ignore: decorator
@inline export function hsum(a: v128): f32 {
  const pairs = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(pairs, 0) + f32x4.extract_lane(pairs, 1);
}
