// Scaled dot-product attention per (sequence, head), one query row at a time: its scores over
// the sequence's keys (one row of T floats in the task's scratch), a max-shifted softmax, then
// the probability-weighted sum of value rows. Sequences lie back to back without padding. Work
// is split over (b, h, block of query rows); blocks past a short sequence's end are empty tasks.
#include <vector>

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

struct AttentionPlan {
  const AttentionArgs* args;
  std::vector<int64_t> starts;  // first row of each sequence
};

void attention_task(const void* context, int64_t task, float* scores) {
  const AttentionPlan& plan = *static_cast<const AttentionPlan*>(context);
  const AttentionArgs& a = *plan.args;
  const int64_t blocks = ceil_div(a.T, kQueryRowsPerTask);
  const int64_t b = task / (a.NH * blocks);
  const int64_t h = task / blocks % a.NH;
  const int64_t first_row = task % blocks * kQueryRowsPerTask;
  const int64_t C = a.NH * a.HS;
  const int64_t length = a.lengths[b];
  const float scale = 1.0f / __builtin_sqrtf(static_cast<float>(a.HS));
  const int64_t start = plan.starts[b];
  const float* keys = a.k + start * C + h * a.HS;
  const float* values = a.v + start * C + h * a.HS;

  for (int64_t i = first_row; i < min_index(length, first_row + kQueryRowsPerTask); i++) {
    const float* query = a.q + (start + i) * C + h * a.HS;
    const float* bias = a.position_bias ? a.position_bias + (h * a.T + i) * a.T : nullptr;
    float max = -__builtin_inff();
    for (int64_t j = 0; j < length; j++) {
      scores[j] = dot(query, keys + j * C, a.HS) * scale + (bias ? bias[j] : 0.0f);
      max = scores[j] > max ? scores[j] : max;
    }
    const float total = exp_shifted(scores, max, length);

    float* out = a.out + (start + i) * C + h * a.HS;
    for (int64_t d = 0; d < a.HS; d++) out[d] = 0.0f;
    for (int64_t j = 0; j < length; j++) axpy(out, scores[j], values + j * C, a.HS);
    const float inverse = 1.0f / total;
    for (int64_t d = 0; d < a.HS; d++) out[d] *= inverse;
  }
}

}  // namespace

void attention(const AttentionArgs& args) {
  AttentionPlan plan{&args, std::vector<int64_t>(args.B)};
  int64_t work = 0;
  for (int64_t b = 0, start = 0; b < args.B; start += args.lengths[b], b++) {
    plan.starts[b] = start;
    work += args.NH * args.lengths[b] * args.lengths[b] * args.HS;
  }
  const int64_t tasks = args.B * args.NH * ceil_div(args.T, kQueryRowsPerTask);
  parallel_for(tasks, args.T, attention_task, &plan, work < kParallelMinimum ? 1 : thread_count());
}

}  // namespace SENTVEC_NS
}  // namespace sentvec
