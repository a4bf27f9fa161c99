// LayerNorm over the last dimension, two passes per row (mean, then centred variance) so rows
// with a large common offset lose no precision. Rows are split across the pool.

#include "kernels.h"
#include "simd.h"
#include "threads.h"

namespace sentvec {
namespace SENTVEC_NS {
namespace {

// Below this many floats one thread is done before a second would wake.
constexpr int64_t kParallelMinimum = int64_t{1} << 15;

template <class T>
inline T normalized(const float* x, const float* gamma, const float* beta, float mean, float scale) {
  return vfma(vmul(vsub(load<T>(x), splat<T>(mean)), splat<T>(scale)), load<T>(gamma), load<T>(beta));
}

// out (C) = (inp (C) − mean) / sqrt(var + eps) · gamma + beta; out may be inp.
void normalize_row(float* out, const float* inp, const float* gamma, const float* beta, int64_t C, float eps) {
  int64_t c = 0;
  vf sum_lanes = vzero();
  for (; c + W <= C; c += W) sum_lanes = vadd(sum_lanes, vloadv(inp + c));
  float sum = vsum(sum_lanes);
  for (; c < C; c++) sum += inp[c];
  const float mean = sum / static_cast<float>(C);

  const vf mean_lanes = vbroadcast(mean);
  vf square_lanes = vzero();
  for (c = 0; c + W <= C; c += W) {
    const vf centred = vsub(vloadv(inp + c), mean_lanes);
    square_lanes = vfma(centred, centred, square_lanes);
  }
  float squares = vsum(square_lanes);
  for (; c < C; c++) squares += (inp[c] - mean) * (inp[c] - mean);
  const float scale = 1.0f / __builtin_sqrtf(squares / static_cast<float>(C) + eps);

  for (c = 0; c + W <= C; c += W) vstore(out + c, normalized<vf>(inp + c, gamma + c, beta + c, mean, scale));
  for (; c < C; c++) out[c] = normalized<float>(inp + c, gamma + c, beta + c, mean, scale);
}

struct RowsPlan {
  const LayerNormArgs* args;
  int64_t rows_per_task;
};

void layer_norm_task(const void* context, int64_t task, float*) {
  const RowsPlan& plan = *static_cast<const RowsPlan*>(context);
  const LayerNormArgs& a = *plan.args;
  const int64_t end = min_index(a.M, (task + 1) * plan.rows_per_task);
  for (int64_t m = task * plan.rows_per_task; m < end; m++) {
    normalize_row(a.out + m * a.C, a.inp + m * a.C, a.gamma, a.beta, a.C, a.eps);
  }
}

}  // namespace

void layer_norm(const LayerNormArgs& args) {
  const int64_t threads = args.M * args.C < kParallelMinimum ? 1 : thread_count();
  const int64_t rows_per_task = ceil_div(args.M, threads);
  RowsPlan plan{&args, rows_per_task};
  parallel_for(ceil_div(args.M, rows_per_task), 0, layer_norm_task, &plan, threads);
}

}  // namespace SENTVEC_NS
}  // namespace sentvec
