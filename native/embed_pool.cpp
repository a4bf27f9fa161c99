// The two ends of the graph: the embedding gather-sum that starts it and the sentence-transformers
// pooling that ends it. Both are memory-bound and small, so they run on the calling thread.
#include "kernels.h"
#include "simd.h"

namespace sentvec {
namespace SENTVEC_NS {

void embed(const EmbedArgs& a) {
  // out (N,C) = words[ids] + positions[position_ids] + types[type_ids]. Summed in double and
  // rounded once, exactly as the reference does, so both backends agree to the bit.
  for (int64_t n = 0; n < a.N; n++) {
    const float* word = a.words + static_cast<int64_t>(a.ids[n]) * a.C;
    const float* position = a.positions + static_cast<int64_t>(a.position_ids[n]) * a.C;
    const float* type = a.types ? a.types + static_cast<int64_t>(a.type_ids[n]) * a.C : nullptr;
    float* out = a.out + n * a.C;
    for (int64_t c = 0; c < a.C; c++) {
      double sum = static_cast<double>(word[c]) + static_cast<double>(position[c]);
      if (type) sum += static_cast<double>(type[c]);
      out[c] = static_cast<float>(sum);
    }
  }
}

namespace {

// One pooled segment of columns (W lanes of T) over tokens 0..length-1; `first` is token 0.
template <class T>
inline T pool_columns(const float* first, int64_t C, int64_t length, PoolMode mode) {
  switch (mode) {
    case PoolMode::cls:
      return load<T>(first);
    case PoolMode::last_token:
      return load<T>(first + (length - 1) * C);
    case PoolMode::max: {
      T max = load<T>(first);
      for (int64_t t = 1; t < length; t++) max = vmax(max, load<T>(first + t * C));
      return max;
    }
    case PoolMode::mean:
    case PoolMode::mean_sqrt_len: {
      T sum = load<T>(first);
      for (int64_t t = 1; t < length; t++) sum = vadd(sum, load<T>(first + t * C));
      const float count = static_cast<float>(length);
      return vdiv(sum, splat<T>(mode == PoolMode::mean ? count : __builtin_sqrtf(count)));
    }
    case PoolMode::weighted_mean: {
      // sentence-transformers WeightedMean weights token t by its position t + 1
      T sum = load<T>(first);
      for (int64_t t = 1; t < length; t++) sum = vfma(splat<T>(static_cast<float>(t + 1)), load<T>(first + t * C), sum);
      return vdiv(sum, splat<T>(static_cast<float>(length * (length + 1) / 2)));
    }
  }
  return splat<T>(0.0f);
}

}  // namespace

void pool(const PoolArgs& a) {
  const float* first = a.hidden;
  for (int64_t b = 0; b < a.B; first += a.lengths[b] * a.C, b++) {
    float* out = a.out + b * a.C;
    const int64_t length = a.lengths[b];
    int64_t c = 0;
    for (; c + W <= a.C; c += W) vstore(out + c, pool_columns<vf>(first + c, a.C, length, a.mode));
    for (; c < a.C; c++) out[c] = pool_columns<float>(first + c, a.C, length, a.mode);
  }
}

}  // namespace SENTVEC_NS
}  // namespace sentvec
