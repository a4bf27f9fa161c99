// Scaled dot-product attention per (sequence, head, block of kRows query rows), with the block's
// scores held transposed: scores[j][r] is query row r against key j. Every step is then a vertical
// vector operation over the block's rows: a score vector is a sum of key elements (broadcast)
// times columns of the transposed queries, and max, exp and sum run down j with no horizontal
// reduction. Each row's arithmetic is the same whichever rows share its block, so vectors do not
// depend on the batch. Sequences lie back to back without padding; blocks past a short
// sequence's end are empty tasks.
#include <vector>

#include "kernels.h"
#include "simd.h"
#include "threads.h"

namespace sentvec {
namespace SENTVEC_NS {
namespace {

constexpr int64_t kRows = 16;          // query rows per task: a whole number of vectors at every W
constexpr int64_t kRowVectors = kRows / W;
constexpr int64_t kKeysPerStep = 4;    // independent score chains in flight
constexpr int64_t kRowsPerStep = 4;    // rows whose output sums run side by side
// Below this many multiply-adds one thread is done before a second would wake.
constexpr int64_t kParallelMinimum = int64_t{1} << 15;
static_assert(kRows % W == 0 && kRows % kRowsPerStep == 0, "a block is whole vectors and whole steps");

// scores[j][·] = scale · Σ_d keys[j][d] · queries[d][·] for the keys j0..j0+KEYS-1
template <int64_t KEYS>
inline void score_keys(float* scores, const float* queries, const float* keys, int64_t C, int64_t HS, int64_t j0, float scale) {
  vf sums[KEYS][kRowVectors];
  for (int64_t k = 0; k < KEYS; k++) {
    for (int64_t v = 0; v < kRowVectors; v++) sums[k][v] = vzero();
  }
  for (int64_t d = 0; d < HS; d++) {
    for (int64_t v = 0; v < kRowVectors; v++) {
      const vf q = vloadv(queries + d * kRows + v * W);
      for (int64_t k = 0; k < KEYS; k++) sums[k][v] = vfma(vbroadcast(keys[(j0 + k) * C + d]), q, sums[k][v]);
    }
  }
  for (int64_t k = 0; k < KEYS; k++) {
    for (int64_t v = 0; v < kRowVectors; v++) vstore(scores + (j0 + k) * kRows + v * W, vmul(sums[k][v], vbroadcast(scale)));
  }
}

// out rows r0..r0+kRowsPerStep-1, columns d0..d0+VECTORS·width(T)-1: Σ_j p[j][r] · values[j][d], times
// inverse[r]; only the first `rows` of them are written.
template <class T, int64_t VECTORS>
inline void weigh_values(float* out, const float* p, const float* values, const float* inverse, int64_t C,
                         int64_t length, int64_t r0, int64_t rows, int64_t d0) {
  constexpr int64_t width = sizeof(T) / sizeof(float);
  T sums[kRowsPerStep][VECTORS];
  for (int64_t r = 0; r < kRowsPerStep; r++) {
    for (int64_t v = 0; v < VECTORS; v++) sums[r][v] = splat<T>(0.0f);
  }
  for (int64_t j = 0; j < length; j++) {
    for (int64_t v = 0; v < VECTORS; v++) {
      const T value = load<T>(values + j * C + d0 + v * width);
      for (int64_t r = 0; r < kRowsPerStep; r++) sums[r][v] = vfma(splat<T>(p[j * kRows + r0 + r]), value, sums[r][v]);
    }
  }
  for (int64_t r = 0; r < min_index(rows, kRowsPerStep); r++) {
    for (int64_t v = 0; v < VECTORS; v++) vstore(out + r * C + d0 + v * width, vmul(sums[r][v], splat<T>(inverse[r0 + r])));
  }
}

struct AttentionPlan {
  const AttentionArgs* args;
  std::vector<int64_t> starts;  // first row of each sequence
};

// scratch: queries (HS, kRows), then scores (T, kRows), then inverse (kRows)
void attention_task(const void* context, int64_t task, float* scratch) {
  const AttentionPlan& plan = *static_cast<const AttentionPlan*>(context);
  const AttentionArgs& a = *plan.args;
  const int64_t blocks = ceil_div(a.T, kRows);
  const int64_t b = task / (a.NH * blocks);
  const int64_t h = task / blocks % a.NH;
  const int64_t first_row = task % blocks * kRows;
  const int64_t length = a.lengths[b];
  if (first_row >= length) return;
  const int64_t rows = min_index(length - first_row, kRows);
  const int64_t C = a.NH * a.HS;
  const int64_t start = plan.starts[b];
  const float scale = 1.0f / __builtin_sqrtf(static_cast<float>(a.HS));
  const float* keys = a.k + start * C + h * a.HS;
  const float* values = a.v + start * C + h * a.HS;
  float* queries = scratch;
  float* scores = queries + a.HS * kRows;
  float* inverse = scores + a.T * kRows;

  // transposed queries; the columns of rows past the sequence's end score 0 and are never written out
  for (int64_t d = 0; d < a.HS; d++) {
    for (int64_t r = 0; r < kRows; r++) queries[d * kRows + r] = r < rows ? a.q[(start + first_row + r) * C + h * a.HS + d] : 0.0f;
  }
  int64_t j = 0;
  for (; j + kKeysPerStep <= length; j += kKeysPerStep) score_keys<kKeysPerStep>(scores, queries, keys, C, a.HS, j, scale);
  for (; j < length; j++) score_keys<1>(scores, queries, keys, C, a.HS, j, scale);
  if (a.position_bias) {
    for (int64_t r = 0; r < rows; r++) {
      const float* bias = a.position_bias + (h * a.T + first_row + r) * a.T;
      for (j = 0; j < length; j++) scores[j * kRows + r] += bias[j];
    }
  }

  // softmax down each column; vmax keeps its second operand when the score is NaN, and the
  // NaN comes through exp and the sum into that row's output
  for (int64_t v = 0; v < kRowVectors; v++) {
    vf max = vbroadcast(-__builtin_inff());
    for (j = 0; j < length; j++) max = vmax(vloadv(scores + j * kRows + v * W), max);
    vf total = vzero();
    for (j = 0; j < length; j++) {
      const vf e = exp_approx(vsub(vloadv(scores + j * kRows + v * W), max));
      vstore(scores + j * kRows + v * W, e);
      total = vadd(total, e);
    }
    vstore(inverse + v * W, vdiv(vbroadcast(1.0f), total));
  }

  float* out = a.out + (start + first_row) * C + h * a.HS;
  for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerStep) {
    const int64_t step_rows = rows - r0;
    int64_t d = 0;
    for (; d + 2 * W <= a.HS; d += 2 * W) weigh_values<vf, 2>(out + r0 * C, scores, values, inverse, C, length, r0, step_rows, d);
    for (; d + W <= a.HS; d += W) weigh_values<vf, 1>(out + r0 * C, scores, values, inverse, C, length, r0, step_rows, d);
    for (; d < a.HS; d++) weigh_values<float, 1>(out + r0 * C, scores, values, inverse, C, length, r0, step_rows, d);
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
  const int64_t tasks = args.B * args.NH * ceil_div(args.T, kRows);
  const int64_t scratch = (args.HS + args.T + 1) * kRows;
  parallel_for(tasks, scratch, attention_task, &plan, work < kParallelMinimum ? 1 : thread_count());
}

}  // namespace SENTVEC_NS
}  // namespace sentvec
