// The kernels as plain C++: argument structs with no N-API types (the binding fills them after
// validating every shape), one set of functions per ISA namespace, and the dispatch table.
// Shapes follow src/backend/kernels.ts: B batch, T tokens, C channels, NH heads, HS head size.
#pragma once

#include <cstdint>

namespace sentvec {

enum class Activation { none, gelu };
// How a Linear weight is stored; only float32 so far.
enum class WeightFormat { f32 };
inline const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::f32:
      return "f32";
  }
  return "?";
}
enum class PoolMode { cls, max, mean, mean_sqrt_len, weighted_mean, last_token };

// The GEMM's register tile at each ISA level: `rows` input rows against `vectors` vectors of
// `lanes` floats of weight columns. Every level's geometry lives here, compiled into every build,
// so the packed size below is derived from all of them (and tested) on any machine, including
// levels this CPU or this architecture cannot run.
struct LinearTile {
  const char* isa;
  int rows, vectors, lanes;
  constexpr int64_t columns() const { return int64_t{vectors} * lanes; }
};
enum class IsaLevelId { scalar, avx2, avx512, neon };
constexpr LinearTile kLinearTiles[] = {
    {"scalar", 4, 4, 1},   // 16 scalar accumulators
    {"avx2", 6, 2, 8},     // 12 ymm accumulators + 2 weight vectors + 1 broadcast of 16
    {"avx512", 12, 2, 16}, // 24 zmm accumulators + 2 weight vectors + 1 broadcast of 32
    {"neon", 6, 4, 4},     // 24 q accumulators + 4 weight vectors + 1 broadcast of 32
};
constexpr const LinearTile& linear_tile(IsaLevelId isa) { return kLinearTiles[static_cast<int>(isa)]; }

// A Linear weight (N,K) packed for the GEMM: panels of kLinearPanel columns, panel p holding
// K rows of kLinearPanel floats (columns p·kLinearPanel.., zero past N). The layout is the same at
// every ISA level, so a weight packed once serves whichever level runs. The columns are padded
// with zeros to a multiple of every level's tile width: a level's last tile over N columns then
// reads packed floats only, whatever N is (a 32-column AVX-512 tile over N = 200 reads 224).
constexpr int64_t kLinearPanel = 16;
constexpr int64_t widest_linear_tile() {
  int64_t widest = kLinearPanel;
  for (const LinearTile& tile : kLinearTiles) widest = tile.columns() > widest ? tile.columns() : widest;
  return widest;
}
constexpr int64_t kLinearPackedMultiple = widest_linear_tile();
constexpr bool tiles_fit_packing() {
  for (const LinearTile& tile : kLinearTiles) {
    if (kLinearPackedMultiple % tile.columns() != 0) return false;  // the last tile ends inside the padding
    if (kLinearPanel % tile.lanes != 0) return false;              // a vector never straddles two panels
    if (tile.columns() % kLinearPanel != 0 && kLinearPanel % tile.columns() != 0) return false;
  }
  return kLinearPackedMultiple % kLinearPanel == 0;
}
static_assert(tiles_fit_packing(), "every ISA's tile must end inside the packed, padded columns");
inline int64_t packed_linear_columns(int64_t N) {
  return (N + kLinearPackedMultiple - 1) / kLinearPackedMultiple * kLinearPackedMultiple;
}
inline int64_t packed_linear_floats(int64_t N, int64_t K) { return packed_linear_columns(N) * K; }

// out (M,N) = act(inp (M,K) · weight (N,K)ᵀ + bias (N)) + residual (M,N); weight is packed
// (packed_linear_floats(N, K) floats); residual may be null or equal to out.
struct LinearArgs {
  float* out;
  const float* inp;
  const float* weight;
  const float* bias;
  const float* residual;
  int64_t M, K, N;
  Activation activation;
};

// out (M,C) = (inp − mean) / sqrt(var + eps) · gamma (C) + beta (C), per row; out may equal inp.
struct LayerNormArgs {
  float* out;
  const float* inp;
  const float* gamma;
  const float* beta;
  int64_t M, C;
  float eps;
};

// q, k, v, out are (Σ lengths, NH·HS), the B sequences back to back; position_bias (NH,T,T) or
// null, read in its top-left lengths[b]×lengths[b] block; lengths (B) in 1..T.
struct AttentionArgs {
  float* out;
  const float* q;
  const float* k;
  const float* v;
  const float* position_bias;
  const int32_t* lengths;
  int64_t B, T, NH, HS;
};

// out (N,C) = words[ids] + positions[position_ids] + types[type_ids]; types and type_ids both null
// or both set; every id already checked to index inside its table.
struct EmbedArgs {
  float* out;
  const int32_t* ids;
  const int32_t* position_ids;
  const int32_t* type_ids;
  const float* words;
  const float* positions;
  const float* types;
  int64_t N, C;
};

// out (B,C) = one pooling mode per sequence of hidden (Σ lengths, C), sequences back to back.
struct PoolArgs {
  float* out;
  const float* hidden;
  const int32_t* lengths;
  int64_t B, C;
  PoolMode mode;
};

struct KernelTable {
  const char* name;
  // packed (packed_linear_floats(N, K)) = weight (N,K) in the GEMM's layout
  void (*pack_linear)(float* packed, const float* weight, int64_t N, int64_t K);
  void (*linear)(const LinearArgs&);
  void (*layer_norm)(const LayerNormArgs&);
  void (*attention)(const AttentionArgs&);
  void (*embed)(const EmbedArgs&);
  void (*pool)(const PoolArgs&);
  // Runs `iterations` rounds of independent FMA chains on every pool thread; returns the flops
  // done, so a caller that times it measures this machine's FMA peak for the ISA.
  double (*fma_burn)(int64_t iterations);
};

#define SENTVEC_DECLARE_KERNELS(ns)                  \
  namespace ns {                                     \
  void pack_linear(float* packed, const float* weight, int64_t N, int64_t K); \
  void linear(const LinearArgs& args);               \
  void layer_norm(const LayerNormArgs& args);        \
  void attention(const AttentionArgs& args);         \
  void embed(const EmbedArgs& args);                 \
  void pool(const PoolArgs& args);                   \
  double fma_burn(int64_t iterations);               \
  }

SENTVEC_DECLARE_KERNELS(scalar)
#if defined(__x86_64__) || defined(_M_X64)
SENTVEC_DECLARE_KERNELS(avx2)
SENTVEC_DECLARE_KERNELS(avx512)
#elif defined(__aarch64__)
SENTVEC_DECLARE_KERNELS(neon)
#endif
#undef SENTVEC_DECLARE_KERNELS

}  // namespace sentvec
