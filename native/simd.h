// The per-ISA vector vocabulary every kernel family is written in (ggml simd-mappings.h style).
// Each kernel .cpp is compiled once per ISA with exactly one SENTVEC_ISA_* macro defined and the
// matching -m flags, so its code lands in namespace sentvec::<isa> and never runs on a CPU that
// lacks the instructions. `vf` is the native vector, `W` its width in floats; every operation
// also has a float overload, so a body written over a type T serves both the vector loop and its
// scalar leftovers loop (and is the whole of the scalar ISA, where vf is float).
//
// Everything here has internal linkage: the same inline helper compiled with AVX-512 flags in one
// translation unit must never be merged by the linker with its twin from a baseline unit. For the
// same reason the kernel files include no std templates (containers, algorithms, functional).
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels.h"

#if defined(SENTVEC_ISA_AVX512)
#include <immintrin.h>
#define SENTVEC_NS avx512
#define SENTVEC_ISA_ID IsaLevelId::avx512
#elif defined(SENTVEC_ISA_AVX2)
#include <immintrin.h>
#define SENTVEC_NS avx2
#define SENTVEC_ISA_ID IsaLevelId::avx2
#elif defined(SENTVEC_ISA_NEON)
#include <arm_neon.h>
#define SENTVEC_NS neon
#define SENTVEC_ISA_ID IsaLevelId::neon
#elif defined(SENTVEC_ISA_SCALAR)
#define SENTVEC_NS scalar
#define SENTVEC_ISA_ID IsaLevelId::scalar
#else
#error "compile each kernel family with one of SENTVEC_ISA_SCALAR, _AVX2, _AVX512, _NEON"
#endif

namespace sentvec {
namespace SENTVEC_NS {
namespace {

constexpr IsaLevelId kIsa = SENTVEC_ISA_ID;

// ---- float: the scalar twin of every vector operation ------------------------------------------
inline float vset(float x) { return x; }
inline float vload(const float* p) { return *p; }
inline void vstore(float* p, float x) { *p = x; }
inline float vadd(float a, float b) { return a + b; }
inline float vsub(float a, float b) { return a - b; }
inline float vmul(float a, float b) { return a * b; }
inline float vdiv(float a, float b) { return a / b; }
// a·b + c, contracted to one FMA where the ISA has it; fmaf() would be a slow libm call on baseline x86-64.
inline float vfma(float a, float b, float c) { return a * b + c; }
inline float vmax(float a, float b) { return a > b ? a : b; }
inline float vmin(float a, float b) { return a < b ? a : b; }
inline float vabs(float a) { return __builtin_fabsf(a); }
inline float vround(float a) { return __builtin_nearbyintf(a); }
inline float vselect_negative(float x, float if_negative, float otherwise) { return x < 0 ? if_negative : otherwise; }
// x · 2^n for integral n in -126..127, by building the exponent bits directly.
inline float vscale_pow2(float x, float n) {
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x * scale;
}
inline float vsum(float a) { return a; }
inline float vhmax(float a) { return a; }

#if defined(SENTVEC_ISA_AVX512)
using vf = __m512;
constexpr int W = 16;
inline vf vzero() { return _mm512_setzero_ps(); }
inline vf vbroadcast(float x) { return _mm512_set1_ps(x); }
inline vf vloadv(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vf x) { _mm512_storeu_ps(p, x); }
inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
inline vf vabs(vf a) { return _mm512_abs_ps(a); }
inline vf vround(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline vf vselect_negative(vf x, vf if_negative, vf otherwise) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), otherwise, if_negative);
}
inline vf vscale_pow2(vf x, vf n) {
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(x, _mm512_castsi512_ps(bits));
}
inline float vsum(vf a) { return _mm512_reduce_add_ps(a); }
inline float vhmax(vf a) { return _mm512_reduce_max_ps(a); }

#elif defined(SENTVEC_ISA_AVX2)
using vf = __m256;
constexpr int W = 8;
inline vf vzero() { return _mm256_setzero_ps(); }
inline vf vbroadcast(float x) { return _mm256_set1_ps(x); }
inline vf vloadv(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vf x) { _mm256_storeu_ps(p, x); }
inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
inline vf vabs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
inline vf vround(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline vf vselect_negative(vf x, vf if_negative, vf otherwise) {
  return _mm256_blendv_ps(otherwise, if_negative, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}
inline vf vscale_pow2(vf x, vf n) {
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(x, _mm256_castsi256_ps(bits));
}
inline float vsum(vf a) {
  const __m128 halves = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}
inline float vhmax(vf a) {
  const __m128 halves = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 pairs = _mm_max_ps(halves, _mm_movehl_ps(halves, halves));
  return _mm_cvtss_f32(_mm_max_ss(pairs, _mm_movehdup_ps(pairs)));
}

#elif defined(SENTVEC_ISA_NEON)
using vf = float32x4_t;
constexpr int W = 4;
inline vf vzero() { return vdupq_n_f32(0.0f); }
inline vf vbroadcast(float x) { return vdupq_n_f32(x); }
inline vf vloadv(const float* p) { return vld1q_f32(p); }
inline void vstore(float* p, vf x) { vst1q_f32(p, x); }
inline vf vadd(vf a, vf b) { return vaddq_f32(a, b); }
inline vf vsub(vf a, vf b) { return vsubq_f32(a, b); }
inline vf vmul(vf a, vf b) { return vmulq_f32(a, b); }
inline vf vdiv(vf a, vf b) { return vdivq_f32(a, b); }
inline vf vfma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
inline vf vmax(vf a, vf b) { return vmaxq_f32(a, b); }
inline vf vmin(vf a, vf b) { return vminq_f32(a, b); }
inline vf vabs(vf a) { return vabsq_f32(a); }
inline vf vround(vf a) { return vrndnq_f32(a); }
inline vf vselect_negative(vf x, vf if_negative, vf otherwise) { return vbslq_f32(vcltzq_f32(x), if_negative, otherwise); }
inline vf vscale_pow2(vf x, vf n) {
  const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(x, vreinterpretq_f32_s32(bits));
}
inline float vsum(vf a) { return vaddvq_f32(a); }
inline float vhmax(vf a) { return vmaxvq_f32(a); }

#else
using vf = float;
constexpr int W = 1;
inline vf vzero() { return 0.0f; }
inline vf vbroadcast(float x) { return x; }
inline vf vloadv(const float* p) { return *p; }
#endif

#if defined(__AVX2__)
// rows[i] (8 floats each) becomes column i: rows[j][i] ← rows[i][j]. For weight packing, in the
// AVX2 and AVX-512 units alike.
inline void transpose8x8(__m256 (&rows)[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(rows[0], rows[1]), t1 = _mm256_unpackhi_ps(rows[0], rows[1]);
  const __m256 t2 = _mm256_unpacklo_ps(rows[2], rows[3]), t3 = _mm256_unpackhi_ps(rows[2], rows[3]);
  const __m256 t4 = _mm256_unpacklo_ps(rows[4], rows[5]), t5 = _mm256_unpackhi_ps(rows[4], rows[5]);
  const __m256 t6 = _mm256_unpacklo_ps(rows[6], rows[7]), t7 = _mm256_unpackhi_ps(rows[6], rows[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  rows[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  rows[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  rows[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  rows[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  rows[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  rows[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  rows[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  rows[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

// Index helpers of our own rather than std::min: a std template instantiated here would be a
// weak symbol the linker may share with baseline code.
inline int64_t min_index(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t max_index(int64_t a, int64_t b) { return a > b ? a : b; }
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Loads and broadcasts spelled per type, so a body templated on T (vf or float) reads the same.
template <class T> inline T load(const float* p);
template <> inline float load<float>(const float* p) { return *p; }
template <class T> inline T splat(float x);
template <> inline float splat<float>(float x) { return x; }
#if !defined(SENTVEC_ISA_SCALAR)
template <> inline vf load<vf>(const float* p) { return vloadv(p); }
template <> inline vf splat<vf>(float x) { return vbroadcast(x); }
#endif

// e^x, Cephes expf: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n by
// exponent bits. Relative error below 2e-7 over the clamped range; inputs below −87.3 return
// ~1e-38 instead of 0, which no softmax here can tell apart. A NaN input stays NaN, as in
// torch: the clamp bound comes first because vmax/vmin return their second operand when either
// is NaN (maxps/minps, and the scalar a > b ? a : b), and NEON's propagate NaN anyway.
template <class T> inline T exp_approx(T x) {
  x = vmin(splat<T>(88.0f), vmax(splat<T>(-87.3f), x));
  const T n = vround(vmul(x, splat<T>(1.44269504088896341f)));
  T r = vfma(n, splat<T>(-0.693359375f), x);
  r = vfma(n, splat<T>(2.12194440e-4f), r);
  T p = splat<T>(1.9875691500e-4f);
  p = vfma(p, r, splat<T>(1.3981999507e-3f));
  p = vfma(p, r, splat<T>(8.3334519073e-3f));
  p = vfma(p, r, splat<T>(4.1665795894e-2f));
  p = vfma(p, r, splat<T>(1.6666665459e-1f));
  p = vfma(p, r, splat<T>(5.0000001201e-1f));
  p = vfma(p, vmul(r, r), vadd(r, splat<T>(1.0f)));
  return vscale_pow2(p, n);
}

// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), as torch's approximate='none', with the WASM kernels'
// erf (asm/gelu.ts): Eigen's generic_fast_erf_float, an odd/even rational fit on [−4, 4] (erf is
// ±1 in float32 beyond) within 4.2e-7 of erf, so GELU is within ~1e-6. It needs no exp, only a
// dozen multiply-adds and a divide: the int8 GEMM's GELU Linear runs ~12 % faster than with erfc
// through exp. x is the clamps' second operand, so a NaN comes through them.
template <class T> inline T gelu(T x) {
  const T z = vmin(splat<T>(4.0f), vmax(splat<T>(-4.0f), vmul(x, splat<T>(0.70710678118654752f))));
  const T z2 = vmul(z, z);
  T p = vfma(z2, splat<T>(-2.72614225801306e-10f), splat<T>(2.77068142495902e-08f));
  p = vfma(z2, p, splat<T>(-2.10102402082508e-06f));
  p = vfma(z2, p, splat<T>(-5.69250639462346e-05f));
  p = vfma(z2, p, splat<T>(-7.34990630326855e-04f));
  p = vfma(z2, p, splat<T>(-2.95459980854025e-03f));
  p = vfma(z2, p, splat<T>(-1.60960333262415e-02f));
  T q = vfma(z2, splat<T>(-1.45660718464996e-05f), splat<T>(-2.13374055278905e-04f));
  q = vfma(z2, q, splat<T>(-1.68282697438203e-03f));
  q = vfma(z2, q, splat<T>(-7.37332916720468e-03f));
  q = vfma(z2, q, splat<T>(-1.42647390514189e-02f));
  const T erf = vdiv(vmul(z, p), q);
  return vmul(vmul(splat<T>(0.5f), x), vadd(splat<T>(1.0f), erf));
}

}  // namespace
}  // namespace SENTVEC_NS
}  // namespace sentvec
