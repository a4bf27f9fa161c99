// int8 GEMM for nn.Linear: out (M,N) = act(inp (M,K) · weight (N,K)ᵀ + bias) + residual, with both
// operands as int8 codes per block of kI8Block along K (kernels.h; src/backend/int8.ts is the
// reference). pack_linear_i8 quantizes and packs a weight once at load (pack_quantized_i8 packs
// codes and scales quantized earlier, by sentvec quantize); each call quantizes its
// input rows, then an MR×NR register tile sums each block's code products exactly in int32 and
// adds them, scaled, to float accumulators. Like the float32 GEMM, a row's result depends on K
// only: not on M, the tiling or the threads.
//
// The dot product per level: AVX-512 VNNI vpdpbusd (unsigned × signed: the activation codes are
// offset by 128 and each block's sum starts at the weight's −128·Σcodes), AVX2 vpmaddubsw on
// |a| × sign(a)·w (pair sums ≤ 2·127² < 2¹⁵, so nothing saturates), plain loops elsewhere (the
// scalar level, and NEON until it has a kernel of its own).

#include "kernels.h"
#include "linear_epilogue.h"
#include "simd.h"
#include "threads.h"

namespace sentvec {
namespace SENTVEC_NS {
namespace {

constexpr int64_t kGroupBytes = kLinearPanel * 4;        // one group of 4 k over a panel's columns
constexpr int64_t kGroupsPerBlock = kI8Block / 4;
static_assert(kI8Block % 4 == 0, "blocks hold whole groups");

#if defined(SENTVEC_ISA_AVX512)
inline void store_codes(int8_t* codes, vf rounded) { _mm_storeu_si128(reinterpret_cast<__m128i*>(codes), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(rounded))); }
#elif defined(SENTVEC_ISA_AVX2)
inline void store_codes(int8_t* codes, vf rounded) {
  const __m256i words = _mm256_cvtps_epi32(rounded);
  const __m128i halves = _mm_packs_epi32(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(codes), _mm_packs_epi16(halves, halves));
}
#endif

constexpr float kFloatMax = 3.40282347e38f;

// quantize_block for a whole block of finite values, a vector at a time with the same operations;
// returns false, having written nothing, when a value is not finite (the scalar loop's case).
inline bool quantize_full_block(const float* values, int8_t* codes, float& scale) {
#if defined(SENTVEC_ISA_AVX512) || defined(SENTVEC_ISA_AVX2)
  constexpr int kVectors = kI8Block / W;
  vf lanes[kVectors];
  vf max = vzero(), non_finite = vzero();
  for (int j = 0; j < kVectors; j++) {
    lanes[j] = vloadv(values + j * W);
    max = vmax(max, vabs(lanes[j]));
    non_finite = vadd(non_finite, vmul(lanes[j], vzero()));  // NaN once any value is NaN or infinite
  }
  if (vsum(non_finite) != 0.0f) return false;
  const float block_max = vhmax(max);
  if (block_max == 0.0f) {
    for (int64_t i = 0; i < kI8Block; i++) codes[i] = 0;
    scale = 0.0f;
    return true;
  }
  const float inverse_scalar = static_cast<float>(kI8Max) / block_max;
  if (!(inverse_scalar <= kFloatMax)) return false;  // the scalar loop's clamps make such codes
  const vf inverse = vbroadcast(inverse_scalar);
  const vf low = vbroadcast(-static_cast<float>(kI8Max)), high = vbroadcast(static_cast<float>(kI8Max));
  for (int j = 0; j < kVectors; j++) store_codes(codes + j * W, vmin(vmax(vround(vmul(lanes[j], inverse)), low), high));
  scale = block_max / static_cast<float>(kI8Max);
  return true;
#else
  (void)values, (void)codes, (void)scale;
  return false;
#endif
}

// codes[0..kI8Block) = count values (≤ kI8Block) as int8 codes, zero past count; returns the scale.
inline float quantize_block(const float* values, int64_t count, int8_t* codes) {
  float scale;
  if (count == kI8Block && quantize_full_block(values, codes, scale)) return scale;
  float max = 0.0f;
  bool finite = true;
  for (int64_t i = 0; i < count; i++) {
    finite = finite && vabs(values[i]) <= kFloatMax;
    max = vmax(max, vabs(values[i]));
  }
  for (int64_t i = 0; i < kI8Block; i++) codes[i] = 0;
  // the reference's codes of such a block are all 0 and its scale NaN or ∞: every output is NaN
  if (!finite) return __builtin_nanf("");
  if (max == 0.0f) return 0.0f;
  // below max 127 / 3.4e38 the inverse is ∞: values become ±∞, clamped to ±127, and zeros NaN,
  // which the reference's Int8Array stores as 0
  const float inverse = static_cast<float>(kI8Max) / max;
  for (int64_t i = 0; i < count; i++) {
    const float code = vround(values[i] * inverse);
    codes[i] = code == code ? static_cast<int8_t>(vmin(vmax(code, -static_cast<float>(kI8Max)), static_cast<float>(kI8Max))) : 0;
  }
  return max / static_cast<float>(kI8Max);
}

struct QuantizePlan {
  const float* inp;
  int8_t* codes;
  float* scales;
  int64_t M, K, rows_per_task;
};

void quantize_task(const void* context, int64_t task, float*) {
  const QuantizePlan& plan = *static_cast<const QuantizePlan*>(context);
  const int64_t padded = i8_padded_k(plan.K), blocks = i8_blocks(plan.K);
  const int64_t end = min_index(plan.M, (task + 1) * plan.rows_per_task);
  for (int64_t m = task * plan.rows_per_task; m < end; m++) {
    int8_t* row = plan.codes + m * padded;
    for (int64_t b = 0; b < blocks; b++) {
      plan.scales[m * blocks + b] = quantize_block(plan.inp + m * plan.K + b * kI8Block,
                                                   min_index(kI8Block, plan.K - b * kI8Block), row + b * kI8Block);
    }
#if defined(SENTVEC_ISA_AVX512)
    // vpdpbusd takes the activations as unsigned bytes: stored offset by 128 here, once per code,
    // the kernel broadcasts them straight from memory
    for (int64_t k = 0; k < padded; k++) row[k] = static_cast<int8_t>(row[k] ^ 0x80);
#endif
  }
}

struct PackPlan {
  PackedLinearI8 packed;
  const float* weight;   // (N,K) values to quantize, or null when codes and scales are given
  const int8_t* codes;   // (N,K)
  const float* scales;   // (N, blocks)
  int64_t N, K;
};

// block_codes[0..kI8Block) = block b of column n < N as codes, zero past K; returns its scale.
inline float column_block(const PackPlan& plan, int64_t n, int64_t b, int8_t* block_codes) {
  const int64_t begin = b * kI8Block, count = min_index(kI8Block, plan.K - begin);
  if (plan.weight != nullptr) return quantize_block(plan.weight + n * plan.K + begin, count, block_codes);
  for (int64_t i = 0; i < kI8Block; i++) block_codes[i] = i < count ? plan.codes[n * plan.K + begin + i] : 0;
  return plan.scales[n * i8_blocks(plan.K) + b];
}

// One panel of kLinearPanel columns: each column's codes into `scratch` (i8_padded_k(K) bytes),
// then scattered into the groups; columns past N stay zero codes with zero scale.
void pack_task(const void* context, int64_t panel, float* scratch) {
  const PackPlan& plan = *static_cast<const PackPlan*>(context);
  const int64_t padded = i8_padded_k(plan.K), blocks = i8_blocks(plan.K);
  int8_t* column_codes = reinterpret_cast<int8_t*>(scratch);
  int8_t* codes = plan.packed.codes + panel * kLinearPanel * padded;
  float* scales = plan.packed.scales + panel * blocks * kLinearPanel;
  int32_t* offsets = plan.packed.offsets ? plan.packed.offsets + panel * blocks * kLinearPanel : nullptr;
  for (int64_t c = 0; c < kLinearPanel; c++) {
    const int64_t n = panel * kLinearPanel + c;
    for (int64_t b = 0; b < blocks; b++) {
      const float scale = n < plan.N ? column_block(plan, n, b, column_codes + b * kI8Block) : 0.0f;
      if (n >= plan.N) {
        for (int64_t i = 0; i < kI8Block; i++) column_codes[b * kI8Block + i] = 0;
      }
      scales[b * kLinearPanel + c] = scale;
      if (offsets != nullptr) {
        int32_t sum = 0;
        for (int64_t i = 0; i < kI8Block; i++) sum += column_codes[b * kI8Block + i];
        offsets[b * kLinearPanel + c] = -128 * sum;
      }
    }
    for (int64_t k = 0; k < padded; k++) codes[(k / 4) * kGroupBytes + c * 4 + k % 4] = column_codes[k];
  }
}

// The quantized input rows of one call.
struct Rows {
  const int8_t* codes;  // (M, padded)
  const float* scales;  // (M, blocks)
  int64_t padded, blocks;
};

// Where the packed data of column c starts: its panel's codes, scales and offsets, at its lane.
struct Columns {
  const int8_t* codes;
  const float* scales;
  const int32_t* offsets;
};
inline Columns columns_at(const PackedLinearI8& w, int64_t padded, int64_t blocks, int64_t c) {
  const int64_t panel = c / kLinearPanel, lane = c % kLinearPanel;
  return {w.codes + panel * kLinearPanel * padded + lane * 4, w.scales + panel * blocks * kLinearPanel + lane,
          w.offsets ? w.offsets + panel * blocks * kLinearPanel + lane : nullptr};
}

inline int32_t load_group(const int8_t* p) {
  int32_t group;
  __builtin_memcpy(&group, p, sizeof group);
  return group;
}

#if defined(SENTVEC_ISA_AVX512)
constexpr int MR = 6, NV = 2, LANES = 16;  // 12 zmm accumulators + 2 weight groups + 1 broadcast
#elif defined(SENTVEC_ISA_AVX2)
constexpr int MR = 4, NV = 2, LANES = 8;   // 8 ymm accumulators + 2 weight groups + |a|, sign·w, ones
#else
constexpr int MR = 4, NV = 1, LANES = 16;  // plain loops over one panel
#endif
constexpr int NR = NV * LANES;
static_assert(kLinearPackedMultiple % NR == 0, "the last tile over any N reads inside the packed columns");
static_assert(kLinearPanel % LANES == 0, "a vector of lanes never straddles two panels");

// tile (R, NR) += Σ_b aScale·wScale·acc_b over every block, for R ≤ MR rows from `m` and the NR
// columns from `n`; tile starts zeroed.
template <int R>
void micro_kernel_portable(const Rows& rows, int64_t m, const PackedLinearI8& w, int64_t n, float* tile) {
  const Columns at = columns_at(w, rows.padded, rows.blocks, n);
  for (int64_t b = 0; b < rows.blocks; b++) {
    for (int r = 0; r < R; r++) {
      const int8_t* a = rows.codes + (m + r) * rows.padded + b * kI8Block;
      const float a_scale = rows.scales[(m + r) * rows.blocks + b];
      for (int c = 0; c < NR; c++) {
        // columns of one tile lie in one panel here (NR = kLinearPanel)
        const int8_t* group = at.codes + b * kGroupsPerBlock * kGroupBytes + c * 4;
        int32_t acc = 0;
        for (int64_t k = 0; k < kI8Block; k++) acc += int32_t{a[k]} * int32_t{group[(k / 4) * kGroupBytes + k % 4]};
        tile[r * NR + c] = vfma(static_cast<float>(acc), a_scale * at.scales[b * kLinearPanel + c], tile[r * NR + c]);
      }
    }
  }
}

#if defined(SENTVEC_ISA_AVX512)
// The float sums stay in registers across blocks (12 int32 + 12 float + 2 weight + 1 broadcast zmm
// of 32): the tile is written once, at the end, with the same fused multiply-adds in the same order.
template <int R>
__attribute__((target("avx512f,avx512vnni"))) void micro_kernel_vnni(const Rows& rows, int64_t m, const PackedLinearI8& w,
                                                                      int64_t n, float* tile) {
  Columns at[NV];
  for (int v = 0; v < NV; v++) at[v] = columns_at(w, rows.padded, rows.blocks, n + v * LANES);
  __m512 sums[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) sums[r][v] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < rows.blocks; b++) {
    __m512i acc[R][NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      const __m512i offset = _mm512_loadu_si512(at[v].offsets + b * kLinearPanel);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) acc[r][v] = offset;
    }
#pragma GCC unroll 8
    for (int64_t g = 0; g < kGroupsPerBlock; g++) {
      __m512i weights[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) weights[v] = _mm512_loadu_si512(at[v].codes + (b * kGroupsPerBlock + g) * kGroupBytes);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) {
        const __m512i a = _mm512_set1_epi32(load_group(rows.codes + (m + r) * rows.padded + b * kI8Block + g * 4));
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], a, weights[v]);
      }
    }
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      const __m512 w_scale = _mm512_loadu_ps(at[v].scales + b * kLinearPanel);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) {
        const __m512 scale = _mm512_mul_ps(w_scale, _mm512_set1_ps(rows.scales[(m + r) * rows.blocks + b]));
        sums[r][v] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][v]), scale, sums[r][v]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) _mm512_storeu_ps(tile + r * NR + v * LANES, sums[r][v]);
  }
}

#endif

#if defined(SENTVEC_ISA_AVX2)
template <int R>
void micro_kernel_avx2(const Rows& rows, int64_t m, const PackedLinearI8& w, int64_t n, float* tile) {
  const Columns at = columns_at(w, rows.padded, rows.blocks, n);  // NR = one panel
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < rows.blocks; b++) {
    __m256i acc[R][NV];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_si256();
    }
// unrolled, the group loop spills accumulators: 16 ymm hold one group at a time
#pragma GCC unroll 1
    for (int64_t g = 0; g < kGroupsPerBlock; g++) {
      __m256i weights[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        weights[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at.codes + (b * kGroupsPerBlock + g) * kGroupBytes + v * 32));
      }
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) {
        const __m256i a = _mm256_set1_epi32(load_group(rows.codes + (m + r) * rows.padded + b * kI8Block + g * 4));
        const __m256i magnitude = _mm256_sign_epi8(a, a);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
          const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(weights[v], a));
          acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(pairs, ones));
        }
      }
    }
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      const __m256 w_scale = _mm256_loadu_ps(at.scales + b * kLinearPanel + v * LANES);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) {
        float* lanes = tile + r * NR + v * LANES;
        const __m256 scale = _mm256_mul_ps(w_scale, _mm256_set1_ps(rows.scales[(m + r) * rows.blocks + b]));
        _mm256_storeu_ps(lanes, _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][v]), scale, _mm256_loadu_ps(lanes)));
      }
    }
  }
}
#endif

using MicroKernel = void (*)(const Rows& rows, int64_t m, const PackedLinearI8& w, int64_t n, float* tile);

#define SENTVEC_MICRO_KERNELS(name) {name<1>, name<2>, name<3>, name<4>, name<5>, name<6>}
static_assert(MR <= 6, "SENTVEC_MICRO_KERNELS lists tiles of up to 6 rows");
#if defined(SENTVEC_ISA_AVX512)
constexpr MicroKernel kMicroKernels[] = SENTVEC_MICRO_KERNELS(micro_kernel_vnni);
#elif defined(SENTVEC_ISA_AVX2)
constexpr MicroKernel kMicroKernels[] = SENTVEC_MICRO_KERNELS(micro_kernel_avx2);
#else
constexpr MicroKernel kMicroKernels[] = SENTVEC_MICRO_KERNELS(micro_kernel_portable);
#endif
#undef SENTVEC_MICRO_KERNELS

struct GemmPlan {
  const LinearI8Args* args;
  PackedLinearI8 weight;
  Rows rows;
  int64_t tasks_n, m_step, n_step;
};

void gemm_task(const void* context, int64_t task, float*) {
  const GemmPlan& plan = *static_cast<const GemmPlan*>(context);
  const LinearI8Args& a = *plan.args;
  const int64_t m_begin = (task / plan.tasks_n) * plan.m_step, n_begin = (task % plan.tasks_n) * plan.n_step;
  const int64_t m_end = min_index(a.M, m_begin + plan.m_step), n_end = min_index(a.N, n_begin + plan.n_step);
  const bool gelu_on = a.activation == Activation::gelu;
  alignas(64) float tile[MR * NR];
  for (int64_t n = n_begin; n < n_end; n += NR) {
    for (int64_t m = m_begin; m < m_end; m += MR) {
      const int64_t rows = min_index(MR, m_end - m);
      for (float& lane : tile) lane = 0.0f;
      kMicroKernels[rows - 1](plan.rows, m, plan.weight, n, tile);
      store_tile(tile, NR, a.out + m * a.N + n, a.bias + n, a.residual ? a.residual + m * a.N + n : nullptr, a.N, rows,
                 min_index(NR, n_end - n), gelu_on);
    }
  }
}

// Below this many multiply-adds a second thread costs more to wake than it saves.
constexpr int64_t kParallelMinimum = int64_t{1} << 16;

void pack(const PackPlan& plan) {
  const int64_t panels = packed_linear_columns(plan.N) / kLinearPanel;
  parallel_for(panels, ceil_div(i8_padded_k(plan.K), int64_t{sizeof(float)}), pack_task, &plan, min_index(thread_count(), panels));
}

}  // namespace

void pack_linear_i8(void* packed, const float* weight, int64_t N, int64_t K) {
  pack(PackPlan{packed_linear_i8(packed, N, K), weight, nullptr, nullptr, N, K});
}

void pack_quantized_i8(void* packed, const int8_t* codes, const float* scales, int64_t N, int64_t K) {
  pack(PackPlan{packed_linear_i8(packed, N, K), nullptr, codes, scales, N, K});
}

void linear_i8(const LinearI8Args& args) {
#if defined(SENTVEC_ISA_AVX512)
  // the AVX-512 level needs only AVX-512F; without VNNI its int8 products run at the AVX2 level
  // (and the weights carry no offsets: i8_offsets_packed)
  if (!x86_features().avx512vnni) return avx2::linear_i8(args);
#endif
  const int64_t padded = i8_padded_k(args.K), blocks = i8_blocks(args.K);
  auto* codes = static_cast<int8_t*>(args.scratch);
  float* scales = reinterpret_cast<float*>(codes + args.M * padded);
  const int64_t threads = args.M * args.N * args.K < kParallelMinimum ? 1 : thread_count();
  const int64_t rows_per_task = ceil_div(args.M, threads);
  const QuantizePlan quantize{args.inp, codes, scales, args.M, args.K, rows_per_task};
  parallel_for(ceil_div(args.M, rows_per_task), 0, quantize_task, &quantize, threads);

  const int64_t panels_n = ceil_div(args.N, NR), panels_m = ceil_div(args.M, MR);
  const int64_t tasks_n = min_index(threads, panels_n);
  const int64_t tasks_m = min_index(ceil_div(threads, tasks_n), panels_m);
  const GemmPlan plan{&args, packed_linear_i8(const_cast<void*>(args.weight), args.N, args.K), Rows{codes, scales, padded, blocks},
                      tasks_n, ceil_div(panels_m, tasks_m) * MR, ceil_div(panels_n, tasks_n) * NR};
  parallel_for(tasks_m * tasks_n, 0, gemm_task, &plan, threads);
}

}  // namespace SENTVEC_NS
}  // namespace sentvec
