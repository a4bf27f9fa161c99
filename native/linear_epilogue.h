// The end of every Linear kernel, float32 or int8: bias, GELU and residual applied once per
// element of a finished register tile, reading the residual before writing out (they may be one
// array). Included by each GEMM family inside its ISA namespace (see simd.h).
#pragma once

#include "simd.h"

namespace sentvec {
namespace SENTVEC_NS {
namespace {

template <class T>
inline T epilogue(T sum, const float* bias, const float* residual, bool gelu_on) {
  sum = vadd(sum, load<T>(bias));
  if (gelu_on) sum = gelu(sum);
  if (residual) sum = vadd(sum, load<T>(residual));
  return sum;
}

// Writes the valid rows × cols corner of a tile (row stride tile_stride) at out (row stride N).
inline void store_tile(const float* tile, int64_t tile_stride, float* out, const float* bias, const float* residual,
                       int64_t N, int64_t rows, int64_t cols, bool gelu_on) {
  for (int64_t r = 0; r < rows; r++) {
    float* row = out + r * N;
    const float* lanes = tile + r * tile_stride;
    const float* residual_row = residual ? residual + r * N : nullptr;
    int64_t j = 0;
    for (; j + W <= cols; j += W) {
      vstore(row + j, epilogue(vloadv(lanes + j), bias + j, residual_row ? residual_row + j : nullptr, gelu_on));
    }
    for (; j < cols; j++) row[j] = epilogue(lanes[j], bias + j, residual_row ? residual_row + j : nullptr, gelu_on);
  }
}

}  // namespace
}  // namespace SENTVEC_NS
}  // namespace sentvec
