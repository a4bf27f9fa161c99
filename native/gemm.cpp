// GEMM for nn.Linear: out (M,N) = act(inp (M,K) · weight (N,K)ᵀ + bias) + residual.
//
// The weight is packed once at load time (pack_linear) into panels of kLinearPanel columns, each
// panel K rows of kLinearPanel contiguous floats (zero past column N), so the inner loop reads
// the weight as one sequential stream and nothing is packed per call. An MR×NR register tile
// accumulates MR input rows, read in place one broadcast per row and k, against NR columns over
// the whole of K; no partial sum ever leaves the tile, so the epilogue (bias, GELU, residual)
// runs once per element, reading the residual before writing out even when they are one array.
// Summation order depends on K only: a row's result does not depend on M, the tiling or threads.

#include <array>
#include <utility>

#include "kernels.h"
#include "linear_epilogue.h"
#include "simd.h"
#include "threads.h"

namespace sentvec {
namespace SENTVEC_NS {
namespace {

constexpr LinearTile kTile = linear_tile(kIsa);
constexpr int MR = kTile.rows, NV = kTile.vectors;
constexpr int NR = NV * W;
static_assert(kTile.lanes == W, "the tile table's lanes are this ISA's vector width");
static_assert(kLinearPackedMultiple % NR == 0, "the last tile over any N reads inside the packed columns");

// Sums run in blocks of KB products added to the tile, which keeps fp32 rounding at the level of
// blocked BLAS summation for K = 3072.
constexpr int64_t KB = 256;
// Panel rows (of kLinearPanel floats, one cache line) fetched ahead; 8 and 32 measured slower.
constexpr int64_t kPrefetchAhead = 16;
constexpr int kVectorsPerPanel = kLinearPanel / W;
// Rows of input a task keeps in L2 while the weight panels pass over them: what fits in
// kInputBlockBytes, but at least enough rows that a panel streamed in from L3 is used 8 times.
constexpr int64_t kInputBlockBytes = 256 * 1024;
constexpr struct {
  int64_t min, max;
} kInputBlockRows{48, 96};

// Below this many multiply-adds a second thread costs more to wake than it saves.
constexpr int64_t kParallelMinimum = int64_t{1} << 16;

// Where column c of the packed weight starts: its panel, then its lane; k steps kLinearPanel.
inline const float* packed_column(const float* packed, int64_t K, int64_t c) {
  return packed + (c / kLinearPanel) * K * kLinearPanel + c % kLinearPanel;
}

// tile (R, NR) = inp rows (R, K) · packed columns (K, NR), R ≤ MR a compile-time row count, so
// the last row tile of a product computes only its real rows (M = 11 is tiles of 6 and 5, not
// 6 and 6). A row's sums do not depend on R. The first tile over a panel meets it cold and
// prefetches it ahead of use (the stream runs on into the next panel), which keeps the FMAs of a
// few-row product from waiting on memory: one sentence's p50 7.0–7.5 -> 5.9–6.6 ms. The tiles
// after it find the panel in cache, where the prefetches only cost issue slots.
template <int R, bool kFetchAhead>
void micro_kernel(int64_t K, const float* inp, const float* packed, int64_t n, float* tile) {
  const float* row[R];
  const float* column[NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) row[r] = inp + r * K;
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) column[v] = packed_column(packed, K, n + v * W);
  for (int64_t k0 = 0; k0 < K; k0 += KB) {
    const int64_t k1 = min_index(K, k0 + KB);
    vf acc[R][NV];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = vzero();
    }
    for (int64_t k = k0; k < k1; k++) {
      if (kFetchAhead) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; v += kVectorsPerPanel) __builtin_prefetch(column[v] + (k + kPrefetchAhead) * kLinearPanel);
      }
      vf weights[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) weights[v] = vloadv(column[v] + k * kLinearPanel);
#pragma GCC unroll 16
      for (int r = 0; r < R; r++) {
        const vf input = vbroadcast(row[r][k]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[r][v] = vfma(input, weights[v], acc[r][v]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* lanes = tile + r * NR + v * W;
        vstore(lanes, k0 == 0 ? acc[r][v] : vadd(acc[r][v], vloadv(lanes)));
      }
    }
  }
}

using MicroKernel = void (*)(int64_t K, const float* inp, const float* packed, int64_t n, float* tile);

template <bool kFetchAhead, int... R>
constexpr std::array<MicroKernel, sizeof...(R)> micro_kernels(std::integer_sequence<int, R...>) {
  return {micro_kernel<R + 1, kFetchAhead>...};
}
// kMicroKernels[first tile over the panel][rows - 1] computes a tile of `rows` rows
constexpr std::array<MicroKernel, MR> kMicroKernels[2] = {
    micro_kernels<false>(std::make_integer_sequence<int, MR>{}),
    micro_kernels<true>(std::make_integer_sequence<int, MR>{}),
};

struct GemmPlan {
  const LinearArgs* args;
  int64_t tasks_n;  // tasks are a tasks_m × tasks_n grid over out
  int64_t m_step, n_step;
  int64_t m_block;  // input rows kept in L2
};

void gemm_task(const void* context, int64_t task, float*) {
  const GemmPlan& plan = *static_cast<const GemmPlan*>(context);
  const LinearArgs& a = *plan.args;
  const int64_t m_begin = (task / plan.tasks_n) * plan.m_step;
  const int64_t n_begin = (task % plan.tasks_n) * plan.n_step;
  const int64_t m_end = min_index(a.M, m_begin + plan.m_step);
  const int64_t n_end = min_index(a.N, n_begin + plan.n_step);
  const bool gelu_on = a.activation == Activation::gelu;
  alignas(64) float tile[MR * NR];
  for (int64_t m0 = m_begin; m0 < m_end; m0 += plan.m_block) {
    const int64_t m1 = min_index(m_end, m0 + plan.m_block);
    for (int64_t n = n_begin; n < n_end; n += NR) {
      for (int64_t m = m0; m < m1; m += MR) {
        const int64_t rows = min_index(MR, m1 - m);
        kMicroKernels[m == m0][rows - 1](a.K, a.inp + m * a.K, a.weight, n, tile);
        store_tile(tile, NR, a.out + m * a.N + n, a.bias + n, a.residual ? a.residual + m * a.N + n : nullptr, a.N, rows,
                   min_index(NR, n_end - n), gelu_on);
      }
    }
  }
}

}  // namespace

namespace {

struct PackPlan {
  float* packed;
  const float* weight;
  int64_t N, K, panels_per_task;
};

void pack_task(const void* context, int64_t task, float*) {
  const PackPlan& plan = *static_cast<const PackPlan*>(context);
  const int64_t K = plan.K, N = plan.N;
  const int64_t n_end = min_index(packed_linear_columns(N), (task + 1) * plan.panels_per_task * kLinearPanel);
  for (int64_t n0 = task * plan.panels_per_task * kLinearPanel; n0 < n_end; n0 += kLinearPanel) {
    float* panel = plan.packed + n0 * K;
    const float* weight = plan.weight;
    int64_t k = 0;
#if defined(__AVX2__)
    // 8×8 blocks transposed in registers, so neither the loads nor the stores are strided
    for (; k + 8 <= K; k += 8) {
      for (int64_t group = 0; group < kLinearPanel; group += 8) {
        __m256 block[8];
        for (int64_t i = 0; i < 8; i++) {
          const int64_t row = n0 + group + i;
          block[i] = row < N ? _mm256_loadu_ps(weight + row * K + k) : _mm256_setzero_ps();
        }
        transpose8x8(block);
        for (int64_t i = 0; i < 8; i++) _mm256_storeu_ps(panel + (k + i) * kLinearPanel + group, block[i]);
      }
    }
#endif
    for (; k < K; k++) {
      for (int64_t j = 0; j < kLinearPanel; j++) {
        panel[k * kLinearPanel + j] = n0 + j < N ? weight[(n0 + j) * K + k] : 0.0f;
      }
    }
  }
}

}  // namespace

// Packing is bound by page faults (reading the mapped file, writing fresh memory), which the
// threads take in parallel.
void pack_linear(float* packed, const float* weight, int64_t N, int64_t K) {
  const int64_t panels = packed_linear_columns(N) / kLinearPanel;  // the padding panels are zeroed too
  const int64_t threads = min_index(thread_count(), panels);
  const PackPlan plan{packed, weight, N, K, ceil_div(panels, threads)};
  parallel_for(ceil_div(panels, plan.panels_per_task), 0, pack_task, &plan, threads);
}

void linear(const LinearArgs& args) {
  const int64_t panels_n = ceil_div(args.N, NR);
  const int64_t panels_m = ceil_div(args.M, MR);
  const int64_t threads = args.M * args.N * args.K < kParallelMinimum ? 1 : thread_count();
  // split the weight columns first: each thread then streams only its share of the weight
  const int64_t tasks_n = min_index(threads, panels_n);
  const int64_t tasks_m = min_index(ceil_div(threads, tasks_n), panels_m);
  const int64_t fitting = kInputBlockBytes / (args.K * int64_t{sizeof(float)});
  const int64_t m_block = min_index(kInputBlockRows.max, max_index(kInputBlockRows.min, fitting)) / MR * MR;
  GemmPlan plan{&args, tasks_n, ceil_div(panels_m, tasks_m) * MR, ceil_div(panels_n, tasks_n) * NR, m_block};
  parallel_for(tasks_m * tasks_n, 0, gemm_task, &plan, threads);
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
