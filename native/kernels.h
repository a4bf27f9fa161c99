// The kernels as plain C++: argument structs with no N-API types (the binding fills them after
// validating every shape), one set of functions per ISA namespace, and the dispatch table.
// Shapes follow src/backend/kernels.ts: B batch, T tokens, C channels, NH heads, HS head size.
#pragma once

#include <cstdint>

namespace sentvec {

enum class Activation { none, gelu };
// How a Linear weight is stored; only float32 so far.
// How a Linear weight is stored: float32, or int8 (src/backend/int8.ts defines the arithmetic).
enum class WeightFormat { f32, i8 };
inline const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::f32:
      return "f32";
    case WeightFormat::i8:
      return "i8";
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

// int8 Linear (llama.cpp's q8_0 on both operands, as src/backend/int8.ts defines it): along K,
// each block of kI8Block weights of an output channel and each block of kI8Block activations of a
// row becomes codes in -127..127 with scale max|x| / 127; out = Σ_b aScale·wScale·Σ_k∈b codes·codes.
constexpr int64_t kI8Block = 32;
constexpr int kI8Max = 127;
// K padded with zero codes to whole blocks
inline int64_t i8_padded_k(int64_t K) { return (K + kI8Block - 1) / kI8Block * kI8Block; }
inline int64_t i8_blocks(int64_t K) { return i8_padded_k(K) / kI8Block; }

// Whether packed int8 weights carry offsets (below): only AVX-512 VNNI reads them, so they are
// packed only where this CPU runs it; dispatch.cpp answers, the same for the life of the process.
bool i8_offsets_packed();

// A packed int8 weight: columns padded as for float32 (packed_linear_columns), in panels of
// kLinearPanel columns. Within a panel, codes come in groups of 4 consecutive k: group g holds
// kLinearPanel columns × 4 bytes (column c's k = 4g..4g+3 at byte 4c), the operand layout of a
// 4-way int8 dot product (vpdpbusd, sdot). Scales and offsets (−128 × the block's code sum, which
// an unsigned-activation dot product adds back) are [panel][block][kLinearPanel].
struct PackedLinearI8 {
  int8_t* codes;     // packed_linear_columns(N) × i8_padded_k(K)
  float* scales;     // packed_linear_columns(N) × i8_blocks(K)
  int32_t* offsets;  // packed_linear_columns(N) × i8_blocks(K), or null unless i8_offsets_packed()
};
inline int64_t packed_linear_i8_bytes(int64_t N, int64_t K) {
  const int64_t columns = packed_linear_columns(N);
  const int64_t per_block = int64_t{sizeof(float)} + (i8_offsets_packed() ? int64_t{sizeof(int32_t)} : 0);
  return columns * i8_padded_k(K) + columns * i8_blocks(K) * per_block;
}
// The regions of one packed_linear_i8_bytes buffer (64-byte aligned: every region is).
inline PackedLinearI8 packed_linear_i8(void* buffer, int64_t N, int64_t K) {
  const int64_t columns = packed_linear_columns(N);
  auto* bytes = static_cast<int8_t*>(buffer);
  float* scales = reinterpret_cast<float*>(bytes + columns * i8_padded_k(K));
  return {bytes, scales, i8_offsets_packed() ? reinterpret_cast<int32_t*>(scales + columns * i8_blocks(K)) : nullptr};
}
// The activations of one int8 call, quantized: codes (M, i8_padded_k(K)) then scales (M, blocks).
inline int64_t quantized_rows_bytes(int64_t M, int64_t K) {
  return M * i8_padded_k(K) + M * i8_blocks(K) * int64_t{sizeof(float)};
}

// out (M,N) = act(inp (M,K) · weight (N,K)ᵀ + bias) + residual, weight packed by pack_linear_i8;
// scratch holds quantized_rows_bytes(M, K) bytes, 64-byte aligned.
struct LinearI8Args {
  float* out;
  const float* inp;
  const void* weight;
  const float* bias;
  const float* residual;
  void* scratch;
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
  // packed (packed_linear_i8_bytes(N, K), 64-byte aligned) = weight (N,K) quantized and packed
  void (*pack_linear_i8)(void* packed, const float* weight, int64_t N, int64_t K);
  // the same from codes (N,K) and scales (N, i8_blocks(K)) that quantization made earlier
  void (*pack_quantized_i8)(void* packed, const int8_t* codes, const float* scales, int64_t N, int64_t K);
  void (*linear_i8)(const LinearI8Args&);
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
  void pack_linear_i8(void* packed, const float* weight, int64_t N, int64_t K); \
  void pack_quantized_i8(void* packed, const int8_t* codes, const float* scales, int64_t N, int64_t K); \
  void linear_i8(const LinearI8Args& args);          \
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

#if defined(__x86_64__) || defined(_M_X64)
// What this CPU and its OS run (the OS must save the ymm/zmm registers), read once with CPUID and
// XGETBV in dispatch.cpp. Not __builtin_cpu_supports: Zig's runtime library, which the musl, macOS
// and Windows builds link, lacks the __cpu_model it reads.
struct X86Features {
  bool avx2_fma;
  bool avx512f;
  bool avx512vnni;
};
const X86Features& x86_features();
#endif

}  // namespace sentvec
