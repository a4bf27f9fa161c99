// Scaled dot-product attention per (sequence, head), one query row at a time: its scores over
// the real keys (one row of T floats in the task's scratch), a max-shifted softmax, then the
// probability-weighted sum of value rows. Padded query rows are computed like real ones so every
// row of out stays finite for the layers after. Work is split over (b, h, block of query rows).
#include "kernels.h"
#include "simd.h"
#include "threads.h"

namespace sentvec {
namespace SENTVEC_NS {
namespace {

constexpr int64_t kQueryRowsPerTask = 16;
// Below this many multiply-adds one thread is done before a second would wake.
constexpr int64_t kParallelMinimum = int64_t{1} << 15;

inline float dot(const float* a, const float* b, int64_t n) {
  vf lanes = vzero();
  int64_t i = 0;
  for (; i + W <= n; i += W) lanes = vfma(vloadv(a + i), vloadv(b + i), lanes);
  float sum = vsum(lanes);
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

// y (n) += alpha · x (n)
inline void axpy(float* y, float alpha, const float* x, int64_t n) {
  const vf alpha_lanes = vbroadcast(alpha);
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(y + i, vfma(alpha_lanes, vloadv(x + i), vloadv(y + i)));
  for (; i < n; i++) y[i] += alpha * x[i];
}

// scores (n) = exp(scores − max); returns their sum
inline float exp_shifted(float* scores, float max, int64_t n) {
  const vf max_lanes = vbroadcast(max);
  vf sum_lanes = vzero();
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    const vf e = exp_approx(vsub(vloadv(scores + j), max_lanes));
    vstore(scores + j, e);
    sum_lanes = vadd(sum_lanes, e);
  }
  float sum = vsum(sum_lanes);
  for (; j < n; j++) {
    scores[j] = exp_approx(scores[j] - max);
    sum += scores[j];
  }
  return sum;
}

void attention_task(const void* context, int64_t task, float* scores) {
  const AttentionArgs& a = *static_cast<const AttentionArgs*>(context);
  const int64_t blocks = ceil_div(a.T, kQueryRowsPerTask);
  const int64_t b = task / (a.NH * blocks);
  const int64_t h = task / blocks % a.NH;
  const int64_t first_row = task % blocks * kQueryRowsPerTask;
  const int64_t C = a.NH * a.HS;
  const int64_t length = a.lengths[b];
  const float scale = 1.0f / __builtin_sqrtf(static_cast<float>(a.HS));
  const float* keys = a.k + b * a.T * C + h * a.HS;
  const float* values = a.v + b * a.T * C + h * a.HS;

  for (int64_t i = first_row; i < min_index(a.T, first_row + kQueryRowsPerTask); i++) {
    const float* query = a.q + (b * a.T + i) * C + h * a.HS;
    const float* bias = a.position_bias ? a.position_bias + (h * a.T + i) * a.T : nullptr;
    float max = -__builtin_inff();
    for (int64_t j = 0; j < length; j++) {
      scores[j] = dot(query, keys + j * C, a.HS) * scale + (bias ? bias[j] : 0.0f);
      max = scores[j] > max ? scores[j] : max;
    }
    const float total = exp_shifted(scores, max, length);

    float* out = a.out + (b * a.T + i) * C + h * a.HS;
    for (int64_t d = 0; d < a.HS; d++) out[d] = 0.0f;
    for (int64_t j = 0; j < length; j++) axpy(out, scores[j], values + j * C, a.HS);
    const float inverse = 1.0f / total;
    for (int64_t d = 0; d < a.HS; d++) out[d] *= inverse;
  }
}

}  // namespace

void attention(const AttentionArgs& args) {
  const int64_t tasks = args.B * args.NH * ceil_div(args.T, kQueryRowsPerTask);
  const int64_t work = args.B * args.NH * args.T * args.T * args.HS;
  parallel_for(tasks, args.T, attention_task, &args, work < kParallelMinimum ? 1 : thread_count());
}

}  // namespace SENTVEC_NS
}  // namespace sentvec
