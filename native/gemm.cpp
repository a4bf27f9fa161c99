// GEMM for nn.Linear: out (M,N) = act(inp (M,K) · weight (N,K)ᵀ + bias) + residual.
//
// BLIS/GotoBLAS loop nest: the N range of a task is cut into NC-column blocks and K into kc-deep
// blocks; each weight block is packed into NR-column panels (contiguous NR floats per k, zero
// padded) and an MR×NR register tile accumulates MR input rows against one panel. kc is chosen
// so a weight panel (kc·NR floats) stays in L1 while MC input rows (MC·kc) stay in L2. Packing
// happens per call from the caller's weight (a zero-copy view of the safetensors bytes).
//
// Partial sums over K blocks go to out. The epilogue (bias, GELU, residual) runs once per element:
// with no activation it is folded into the first K block, so a residual that is out itself is
// read before it is overwritten; with GELU it must follow the last block, so the one case that
// cannot be ordered that way (GELU, residual == out) runs K as a single block.

#include "kernels.h"
#include "simd.h"
#include "threads.h"

namespace sentvec {
namespace SENTVEC_NS {
namespace {

#if defined(SENTVEC_ISA_AVX512)
constexpr int MR = 12, NV = 2;  // 24 zmm accumulators + 2 weight vectors + 1 broadcast of 32
constexpr int64_t KC_MAX = 192;
#elif defined(SENTVEC_ISA_AVX2)
constexpr int MR = 6, NV = 2;   // 12 ymm accumulators + 2 weight vectors + 1 broadcast of 16
constexpr int64_t KC_MAX = 384;
#elif defined(SENTVEC_ISA_NEON)
constexpr int MR = 8, NV = 3;   // 24 q accumulators + 3 weight vectors + 1 broadcast of 32
constexpr int64_t KC_MAX = 256;
#else
constexpr int MR = 4, NV = 4;   // 16 scalar accumulators
constexpr int64_t KC_MAX = 256;
#endif
constexpr int NR = NV * W;
constexpr int64_t MC = 96;  // a multiple of every MR above
constexpr int64_t NC = 480;  // a multiple of every NR above

// Below this many multiply-adds a second thread costs more to wake than it saves.
constexpr int64_t kParallelMinimum = int64_t{1} << 16;

// panel[k·NR + j] = weight[(n0 + j)·K + k0 + k], zero past column N. A transpose: with AVX2,
// 8×8 blocks go through registers so neither the loads nor the stores are strided.
void pack_weight(float* packed, const float* weight, int64_t K, int64_t N, int64_t n0, int64_t n1, int64_t k0, int64_t kc) {
  for (int64_t n = n0; n < n1; n += NR) {
    int64_t k = 0;
#if defined(__AVX2__)
    for (; k + 8 <= kc; k += 8) {
      for (int64_t group = 0; group < NR; group += 8) {
        __m256 block[8];
        for (int64_t i = 0; i < 8; i++) {
          const int64_t row = n + group + i;
          block[i] = row < N ? _mm256_loadu_ps(weight + row * K + k0 + k) : _mm256_setzero_ps();
        }
        transpose8x8(block);
        for (int64_t i = 0; i < 8; i++) _mm256_storeu_ps(packed + (k + i) * NR + group, block[i]);
      }
    }
#endif
    for (; k < kc; k++) {
      for (int64_t j = 0; j < NR; j++) packed[k * NR + j] = n + j < N ? weight[(n + j) * K + k0 + k] : 0.0f;
    }
    packed += kc * NR;
  }
}

// acc (MR, NR) = inp rows (MR, kc) · weight panel (kc, NR). The input is read in place, one
// broadcast per row and k: its rows are sequential streams the prefetcher follows, so packing
// them would only add a copy. Rows past `rows` repeat the last valid one and are never stored.
inline void micro_kernel(int64_t kc, const float* inp, int64_t K, int64_t rows, const float* b, vf (&acc)[MR][NV]) {
  const float* row[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    row[r] = inp + (r < rows ? r : rows - 1) * K;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = vzero();
  }
  for (int64_t k = 0; k < kc; k++) {
    vf weights[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) weights[v] = vloadv(b + v * W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const vf input = vbroadcast(row[r][k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = vfma(input, weights[v], acc[r][v]);
    }
    b += NR;
  }
}

struct Epilogue {
  bool accumulate;  // add the partial sum already in out
  bool finish;      // add bias (and residual), apply the activation
  bool gelu;
};

template <class T>
inline T epilogue(T acc, const float* out, const float* bias, const float* residual, const Epilogue& e) {
  if (e.accumulate) acc = vadd(acc, load<T>(out));
  if (e.finish) {
    acc = vadd(acc, load<T>(bias));
    if (e.gelu) acc = gelu(acc);
    if (residual) acc = vadd(acc, load<T>(residual));
  }
  return acc;
}

// Writes the valid rows × cols corner of the tile at out (row stride N).
inline void store_tile(const vf (&acc)[MR][NV], float* out, const float* bias, const float* residual, int64_t N,
                       int64_t rows, int64_t cols, const Epilogue& e) {
  for (int64_t r = 0; r < rows; r++) {
    float* row = out + r * N;
    const float* residual_row = residual ? residual + r * N : nullptr;
    if (cols == NR) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        vstore(row + v * W, epilogue(acc[r][v], row + v * W, bias + v * W, residual_row ? residual_row + v * W : nullptr, e));
      }
    } else {
      alignas(64) float lanes[NR];
      for (int v = 0; v < NV; v++) vstore(lanes + v * W, acc[r][v]);
      for (int64_t j = 0; j < cols; j++) {
        row[j] = epilogue(lanes[j], row + j, bias + j, residual_row ? residual_row + j : nullptr, e);
      }
    }
  }
}

struct GemmPlan {
  const LinearArgs* args;
  int64_t kc;        // K block depth
  int64_t tasks_n;   // tasks are a tasks_m × tasks_n grid over out
  int64_t m_step, n_step;
};

void gemm_task(const void* context, int64_t task, float* scratch) {
  const GemmPlan& plan = *static_cast<const GemmPlan*>(context);
  const LinearArgs& a = *plan.args;
  const int64_t m_begin = (task / plan.tasks_n) * plan.m_step;
  const int64_t n_begin = (task % plan.tasks_n) * plan.n_step;
  const int64_t m_end = min_index(a.M, m_begin + plan.m_step);
  const int64_t n_end = min_index(a.N, n_begin + plan.n_step);
  float* packed_weight = scratch;
  const bool gelu = a.activation == Activation::gelu;

  for (int64_t n0 = n_begin; n0 < n_end; n0 += NC) {
    const int64_t n1 = min_index(n_end, n0 + NC);
    for (int64_t k0 = 0; k0 < a.K; k0 += plan.kc) {
      const int64_t kc = min_index(plan.kc, a.K - k0);
      const bool first = k0 == 0;
      const bool last = k0 + kc == a.K;
      const Epilogue e{!first, gelu ? last : first, gelu && last};
      pack_weight(packed_weight, a.weight, a.K, a.N, n0, n1, k0, kc);
      // MC rows of input stay in L2 while every weight panel of the block passes over them
      for (int64_t m0 = m_begin; m0 < m_end; m0 += MC) {
        const int64_t m1 = min_index(m_end, m0 + MC);
        for (int64_t n = n0; n < n1; n += NR) {
          const float* weight_panel = packed_weight + (n - n0) * kc;
          for (int64_t m = m0; m < m1; m += MR) {
            const int64_t rows = min_index(MR, m1 - m);
            vf acc[MR][NV];
            micro_kernel(kc, a.inp + m * a.K + k0, a.K, rows, weight_panel, acc);
            const bool add_residual = a.residual && e.finish;
            store_tile(acc, a.out + m * a.N + n, a.bias + n, add_residual ? a.residual + m * a.N + n : nullptr, a.N,
                       rows, min_index(NR, n1 - n), e);
          }
        }
      }
    }
  }
}

}  // namespace

void linear(const LinearArgs& args) {
  const bool single_block = args.activation == Activation::gelu && args.residual == args.out;
  // equal blocks: K = 384 is one block of 384, not 256 + 128
  const int64_t kc = single_block ? args.K : ceil_div(args.K, ceil_div(args.K, KC_MAX));

  const int64_t panels_n = ceil_div(args.N, NR);
  const int64_t panels_m = ceil_div(args.M, MR);
  const int64_t threads = args.M * args.N * args.K < kParallelMinimum ? 1 : thread_count();
  // split the weight columns first: each task then packs only its own weight panels
  const int64_t tasks_n = min_index(threads, panels_n);
  const int64_t tasks_m = min_index(ceil_div(threads, tasks_n), panels_m);
  GemmPlan plan{&args, kc, tasks_n, ceil_div(panels_m, tasks_m) * MR, ceil_div(panels_n, tasks_n) * NR};
  parallel_for(tasks_m * tasks_n, kc * NC, gemm_task, &plan, threads);
}

namespace {

constexpr int kPeakChains = 12;  // independent FMA chains: covers latency × pipes on current cores

void fma_burn_task(const void* context, int64_t, float* scratch) {
  const int64_t iterations = *static_cast<const int64_t*>(context);
  vf chains[kPeakChains];
  for (int c = 0; c < kPeakChains; c++) chains[c] = vbroadcast(static_cast<float>(c));
  const vf scale = vbroadcast(0.999999f);
  const vf shift = vbroadcast(1e-6f);
  for (int64_t i = 0; i < iterations; i++) {
#pragma GCC unroll 16
    for (int c = 0; c < kPeakChains; c++) chains[c] = vfma(chains[c], scale, shift);
  }
  vf total = chains[0];
  for (int c = 1; c < kPeakChains; c++) total = vadd(total, chains[c]);
  vstore(scratch, total);  // keeps the chains alive
}

}  // namespace

double fma_burn(int64_t iterations) {
  const int64_t threads = thread_count();
  parallel_for(threads, W, fma_burn_task, &iterations, threads);
  return static_cast<double>(threads) * static_cast<double>(iterations) * kPeakChains * W * 2;
}

}  // namespace SENTVEC_NS
}  // namespace sentvec
