// N-API glue. Every argument is checked against what the kernel will touch before it runs:
// types, positive integer sizes, typed-array lengths, ids and lengths in range, and no output
// overlapping an input (except where the interface allows out to be the same array). A failed
// check throws a JS Error naming the kernel and the operand; nothing a caller passes can make a
// kernel read or write outside the arrays it was given.
#include "binding.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <iterator>
#include <map>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <memory>
#include <mutex>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#endif

#include "dispatch.h"
#include "threads.h"

namespace sentvec {
namespace {

template <class Element>
struct View {
  Element* data = nullptr;  // null for an argument given as null
  uint64_t length = 0;
};

// The arguments of one kernel call, read with the kernel's name at hand for every message.
class Arguments {
 public:
  Arguments(const Napi::CallbackInfo& info, const char* kernel, size_t count) : info_(info), kernel_(kernel) {
    if (info.Length() != count) {
      fail("takes " + std::to_string(count) + " arguments, got " + std::to_string(info.Length()));
    }
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw Napi::Error::New(info_.Env(), "sentvec native kernel " + std::string(kernel_) + ": " + problem);
  }

  View<float> floats(size_t index, const char* name, bool nullable = false) const {
    return typed<float>(index, name, napi_float32_array, "a Float32Array", nullable);
  }

  View<const int8_t> codes(size_t index, const char* name) const {
    const View<int8_t> view = typed<int8_t>(index, name, napi_int8_array, "an Int8Array", false);
    return {view.data, view.length};
  }

  View<const uint8_t> bytes(size_t index, const char* name) const {
    const View<uint8_t> view = typed<uint8_t>(index, name, napi_uint8_array, "a Uint8Array", false);
    return {view.data, view.length};
  }

  View<const int32_t> ints(size_t index, const char* name, bool nullable = false) const {
    const View<int32_t> view = typed<int32_t>(index, name, napi_int32_array, "an Int32Array", nullable);
    return {view.data, view.length};
  }

  // A size the kernel loops over: an integer in 1..2^31-1.
  int64_t size(size_t index, const char* name) const {
    const double value = number(index, name);
    if (!(value >= 1 && value <= INT32_MAX && std::floor(value) == value)) {
      fail(std::string(name) + " must be a positive integer, got " + format(value));
    }
    return static_cast<int64_t>(value);
  }

  double number(size_t index, const char* name) const {
    if (!info_[index].IsNumber()) fail(std::string(name) + " must be a number");
    return info_[index].As<Napi::Number>().DoubleValue();
  }

  std::string string(size_t index, const char* name) const {
    if (!info_[index].IsString()) fail(std::string(name) + " must be a string");
    return info_[index].As<Napi::String>().Utf8Value();
  }

  // a · b · …, refusing any product past 2^53 (no typed array is that long)
  uint64_t product(std::initializer_list<int64_t> sizes) const {
    uint64_t total = 1;
    for (const int64_t size : sizes) {
      if (__builtin_mul_overflow(total, static_cast<uint64_t>(size), &total) || total > (uint64_t{1} << 53)) {
        fail("sizes multiply past 2^53");
      }
    }
    return total;
  }

  template <class Element>
  void holds(const View<Element>& view, const char* name, uint64_t needed) const {
    if (view.length < needed) {
      fail(std::string(name) + " holds " + std::to_string(view.length) + " elements, needs " + std::to_string(needed));
    }
  }

  // Each of ids[0..count) indexes a table of `limit` rows.
  void ids_in_range(const View<const int32_t>& ids, const char* name, uint64_t count, int64_t limit) const {
    holds(ids, name, count);
    for (uint64_t i = 0; i < count; i++) {
      if (ids.data[i] < 0 || ids.data[i] >= limit) {
        fail(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(ids.data[i]) + " is outside 0.." +
             std::to_string(limit - 1));
      }
    }
  }

  // Σ lengths[0..B), each checked to lie in 1..T (no upper bound when T is 0).
  int64_t total_tokens(const View<const int32_t>& lengths, int64_t B, int64_t T) const {
    holds(lengths, "lengths", static_cast<uint64_t>(B));
    int64_t total = 0;
    for (int64_t b = 0; b < B; b++) {
      if (lengths.data[b] < 1 || (T > 0 && lengths.data[b] > T)) {
        fail("lengths[" + std::to_string(b) + "] = " + std::to_string(lengths.data[b]) + " is " +
             (T > 0 ? "outside 1.." + std::to_string(T) : std::string("below 1")));
      }
      total += lengths.data[b];
    }
    return total;
  }

  // out's first `used` floats must not share memory with the input's first `input_used`, unless
  // `may_equal` and both start at the same float.
  void separate(const View<float>& out, uint64_t used, const char* input_name, const void* input, uint64_t input_used,
                bool may_equal = false) const {
    if (input == nullptr) return;
    const auto out_begin = reinterpret_cast<uintptr_t>(out.data);
    const auto input_begin = reinterpret_cast<uintptr_t>(input);
    if (may_equal && out_begin == input_begin) return;
    if (out_begin < input_begin + input_used * sizeof(float) && input_begin < out_begin + used * sizeof(float)) {
      fail(std::string("out overlaps ") + input_name + (may_equal ? " (only the very same array is allowed)" : ""));
    }
  }

  template <class Run>
  void run(Run kernel) const {
    try {
      kernel(active_kernels());
    } catch (const std::exception& error) {
      fail(error.what());
    }
  }

 private:
  template <class Element>
  View<Element> typed(size_t index, const char* name, napi_typedarray_type type, const char* type_name,
                      bool nullable) const {
    const Napi::Value value = info_[index];
    if (nullable && value.IsNull()) return {};
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
      fail(std::string(name) + " must be " + type_name + (nullable ? " or null" : ""));
    }
    Napi::TypedArrayOf<Element> array = value.As<Napi::TypedArrayOf<Element>>();
    return {array.Data(), static_cast<uint64_t>(array.ElementLength())};
  }

  static std::string format(double value) {
    std::string text = std::to_string(value);
    return text.find('.') == std::string::npos ? text : text.substr(0, text.find_last_not_of('0') + 1);
  }

  const Napi::CallbackInfo& info_;
  const char* kernel_;
};

double process_cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

// The files mapFile mapped, by start address. Worker threads share them, hence the lock.
struct OwnedRange {
  uint64_t floats;  // bytes / 4
  uint64_t id = 0;  // tells a mapping from a later one at the same address
};
class OwnedRanges {
 public:
  void add(const void* start, OwnedRange range) {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_[reinterpret_cast<uintptr_t>(start)] = range;
  }
  void remove(const void* start) {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_.erase(reinterpret_cast<uintptr_t>(start));
  }
  // Removes the range at `start` if it is still the one tagged `id`; true if this call removed it.
  bool take(const void* start, uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = ranges_.find(reinterpret_cast<uintptr_t>(start));
    if (it == ranges_.end() || it->second.id != id) return false;
    ranges_.erase(it);
    return true;
  }
  // The range that starts exactly at `start`.
  bool starting_at(const void* start, OwnedRange* found) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = ranges_.find(reinterpret_cast<uintptr_t>(start));
    if (it == ranges_.end()) return false;
    *found = it->second;
    return true;
  }
  // The range that holds all of [start, start + bytes), as (its start, it).
  bool holding(const void* start, uint64_t bytes, uintptr_t* range_start) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto begin = reinterpret_cast<uintptr_t>(start);
    auto it = ranges_.upper_bound(begin);
    if (it == ranges_.begin()) return false;
    --it;
    if (begin + bytes > it->first + it->second.floats * sizeof(float)) return false;
    *range_start = it->first;
    return true;
  }

 private:
  mutable std::mutex mutex_;
  std::map<uintptr_t, OwnedRange> ranges_;
};
OwnedRanges& mapped_files() {
  static OwnedRanges ranges;
  return ranges;
}

// The whole pages of [data, data + bytes), if a file mapped by mapFile holds them, go back to the
// OS: what a weight was packed or copied from is never read again.
void release_mapped_pages(const void* data, uint64_t bytes) {
#if defined(__unix__) || defined(__APPLE__)
  uintptr_t mapping;
  if (!mapped_files().holding(data, bytes, &mapping)) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<uintptr_t>(data) + bytes) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
#endif
}

Memory aligned_bytes(uint64_t count) {
  return aligned_alloc64<void>(count);
}

}  // namespace

// embed(out, ids, positionIds, typeIds|null, words, positions, types|null, N, C, V, P, TV)
Napi::Value Embed(const Napi::CallbackInfo& info) {
  const Arguments args(info, "embed", 12);
  const View<float> out = args.floats(0, "out");
  const View<const int32_t> ids = args.ints(1, "ids");
  const View<const int32_t> position_ids = args.ints(2, "positionIds");
  const View<const int32_t> type_ids = args.ints(3, "typeIds", true);
  const View<float> words = args.floats(4, "words");
  const View<float> positions = args.floats(5, "positions");
  const View<float> types = args.floats(6, "types", true);
  const int64_t N = args.size(7, "N"), C = args.size(8, "C"), V = args.size(9, "V"), P = args.size(10, "P"),
                TV = args.size(11, "TV");
  if ((types.data == nullptr) != (type_ids.data == nullptr)) args.fail("typeIds and types must both be given or both be null");
  const uint64_t out_size = args.product({N, C});
  args.holds(out, "out", out_size);
  args.holds(words, "words", args.product({V, C}));
  args.holds(positions, "positions", args.product({P, C}));
  args.ids_in_range(ids, "ids", N, V);
  args.ids_in_range(position_ids, "positionIds", N, P);
  if (types.data != nullptr) {
    args.holds(types, "types", args.product({TV, C}));
    args.ids_in_range(type_ids, "typeIds", N, TV);
  }
  args.separate(out, out_size, "words", words.data, args.product({V, C}));
  args.separate(out, out_size, "positions", positions.data, args.product({P, C}));
  args.separate(out, out_size, "types", types.data, types.data ? args.product({TV, C}) : 0);
  const EmbedArgs kernel{out.data, ids.data, position_ids.data, type_ids.data, words.data, positions.data, types.data, N, C};
  args.run([&](const KernelTable& k) { k.embed(kernel); });
  return info.Env().Undefined();
}

// A Linear weight owned by the addon: new LinearWeight(weight, N, K, format) packs the (N,K)
// PyTorch-layout weight for the GEMM into memory JavaScript never sees, freed when the handle is
// collected; new LinearWeight(codes, scales, N, K) packs an i8 weight quantized earlier (Int8Array
// codes (N,K) in -127..127, Float32Array scales (N, blocks)). JS reads its N, K and format;
// linear() takes nothing else as a weight, so the GEMM only ever reads a buffer sized for the shape
// it was made for. If the weight (or its codes and scales) lies in a file mapped by mapFile, the
// pages it covers are returned to the OS: only the packed copy stays resident.
LinearWeightHandle::LinearWeightHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LinearWeightHandle>(info) {
  const Arguments args(info, "LinearWeight", 4);
  const bool quantized = info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array;
  View<float> weight;
  View<const int8_t> codes;
  View<float> scales;
  if (quantized) {
    codes = args.codes(0, "codes");
    scales = args.floats(1, "scales");
    N_ = args.size(2, "N");
    K_ = args.size(3, "K");
    format_ = WeightFormat::i8;
  } else {
    weight = args.floats(0, "weight");
    N_ = args.size(1, "N");
    K_ = args.size(2, "K");
    const std::string format = args.string(3, "format");
    if (format == weight_format_name(WeightFormat::f32)) {
      format_ = WeightFormat::f32;
    } else if (format == weight_format_name(WeightFormat::i8)) {
      format_ = WeightFormat::i8;
    } else {
      args.fail("unknown format '" + format + "' (f32, i8)");
    }
  }
  args.product({packed_linear_columns(N_), i8_padded_k(K_), 2});  // refuses sizes whose packed bytes overflow
  if (quantized) {
    args.holds(codes, "codes", args.product({N_, K_}));
    args.holds(scales, "scales", args.product({N_, i8_blocks(K_)}));
    // the SIMD dot products rely on codes never being -128 (kernels.h)
    for (uint64_t i = 0; i < static_cast<uint64_t>(N_ * K_); i++) {
      if (codes.data[i] < -kI8Max) args.fail("codes[" + std::to_string(i) + "] = " + std::to_string(codes.data[i]) + " is outside -127..127");
    }
    for (uint64_t i = 0; i < static_cast<uint64_t>(N_ * i8_blocks(K_)); i++) {
      if (!(scales.data[i] >= 0 && std::isfinite(scales.data[i]))) {
        args.fail("scales[" + std::to_string(i) + "] = " + std::to_string(scales.data[i]) + " is not a finite scale ≥ 0");
      }
    }
  } else {
    args.holds(weight, "weight", args.product({N_, K_}));
  }
  bytes_ = static_cast<uint64_t>(format_ == WeightFormat::f32 ? packed_linear_floats(N_, K_) * int64_t{sizeof(float)}
                                                              : packed_linear_i8_bytes(N_, K_));
  packed_ = aligned_bytes(bytes_);
  if (!packed_) args.fail("cannot allocate " + std::to_string(bytes_) + " bytes");
  args.run([&](const KernelTable& k) {
    if (quantized) k.pack_quantized_i8(packed_.get(), codes.data, scales.data, N_, K_);
    else if (format_ == WeightFormat::f32) k.pack_linear(static_cast<float*>(packed_.get()), weight.data, N_, K_);
    else k.pack_linear_i8(packed_.get(), weight.data, N_, K_);
  });
  if (quantized) {
    release_mapped_pages(codes.data, args.product({N_, K_}));
    release_mapped_pages(scales.data, args.product({N_, i8_blocks(K_), int64_t{sizeof(float)}}));
  } else {
    release_mapped_pages(weight.data, args.product({N_, K_, int64_t{sizeof(float)}}));
  }
  // the packed copy counts toward V8's heap limits, so collection keeps pace with loads
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), static_cast<int64_t>(bytes_));
}

void LinearWeightHandle::Finalize(Napi::Env env) {
  if (packed_) Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(bytes_));
}

Napi::Function LinearWeightHandle::Define(Napi::Env env) {
  Napi::Function constructor = DefineClass(env, "LinearWeight", {
      InstanceAccessor<&LinearWeightHandle::GetN>("N"),
      InstanceAccessor<&LinearWeightHandle::GetK>("K"),
      InstanceAccessor<&LinearWeightHandle::GetFormat>("format"),
      InstanceAccessor<&LinearWeightHandle::GetBytes>("bytes"),
  });
  // one constructor per Node environment (the main thread and each worker load the addon)
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(constructor)));
  return constructor;
}

const LinearWeightHandle* LinearWeightHandle::From(const Napi::Value& value) {
  const auto* constructor = value.Env().GetInstanceData<Napi::FunctionReference>();
  if (constructor == nullptr || !value.IsObject() || !value.As<Napi::Object>().InstanceOf(constructor->Value())) return nullptr;
  return Unwrap(value.As<Napi::Object>());
}

Napi::Value LinearWeightHandle::GetN(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(N_)); }
Napi::Value LinearWeightHandle::GetK(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(K_)); }
Napi::Value LinearWeightHandle::GetBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(bytes_));
}
Napi::Value LinearWeightHandle::GetFormat(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), weight_format_name(format_));
}

// linear(out, inp, weight, bias, residual|null, M, K, N, activation): weight is a LinearWeight
// made for this N and K.
Napi::Value Linear(const Napi::CallbackInfo& info) {
  const Arguments args(info, "linear", 9);
  const View<float> out = args.floats(0, "out");
  const View<float> inp = args.floats(1, "inp");
  const LinearWeightHandle* weight = LinearWeightHandle::From(info[2]);
  if (weight == nullptr) args.fail("weight must be a LinearWeight of this addon");
  const View<float> bias = args.floats(3, "bias");
  const View<float> residual = args.floats(4, "residual", true);
  const int64_t M = args.size(5, "M"), K = args.size(6, "K"), N = args.size(7, "N");
  const std::string activation = args.string(8, "activation");
  if (activation != "none" && activation != "gelu") args.fail("unknown activation " + activation + " (none, gelu)");
  if (weight->N() != N || weight->K() != K) {
    args.fail("weight was made for N=" + std::to_string(weight->N()) + ", K=" + std::to_string(weight->K()) + ", not N=" +
              std::to_string(N) + ", K=" + std::to_string(K));
  }
  const uint64_t out_size = args.product({M, N});
  args.holds(out, "out", out_size);
  args.holds(inp, "inp", args.product({M, K}));
  args.holds(bias, "bias", static_cast<uint64_t>(N));
  if (residual.data != nullptr) args.holds(residual, "residual", out_size);
  args.separate(out, out_size, "inp", inp.data, args.product({M, K}));
  args.separate(out, out_size, "bias", bias.data, static_cast<uint64_t>(N));
  args.separate(out, out_size, "residual", residual.data, out_size, true);
  const Activation act = activation == "gelu" ? Activation::gelu : Activation::none;
  if (weight->format() == WeightFormat::f32) {
    const LinearArgs kernel{out.data, inp.data, static_cast<const float*>(weight->packed()), bias.data, residual.data, M, K, N, act};
    args.run([&](const KernelTable& k) { k.linear(kernel); });
  } else {
    Memory scratch = aligned_bytes(static_cast<uint64_t>(quantized_rows_bytes(M, K)));
    if (!scratch) args.fail("cannot allocate " + std::to_string(quantized_rows_bytes(M, K)) + " bytes");
    const LinearI8Args kernel{out.data, inp.data, weight->packed(), bias.data, residual.data, scratch.get(), M, K, N, act};
    args.run([&](const KernelTable& k) { k.linear_i8(kernel); });
  }
  return info.Env().Undefined();
}

// layerNorm(out, inp, gamma, beta, M, C, eps)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const Arguments args(info, "layerNorm", 7);
  const View<float> out = args.floats(0, "out");
  const View<float> inp = args.floats(1, "inp");
  const View<float> gamma = args.floats(2, "gamma");
  const View<float> beta = args.floats(3, "beta");
  const int64_t M = args.size(4, "M"), C = args.size(5, "C");
  const double eps = args.number(6, "eps");
  if (!(eps > 0 && std::isfinite(eps))) args.fail("eps must be positive and finite");
  const uint64_t size = args.product({M, C});
  args.holds(out, "out", size);
  args.holds(inp, "inp", size);
  args.holds(gamma, "gamma", static_cast<uint64_t>(C));
  args.holds(beta, "beta", static_cast<uint64_t>(C));
  args.separate(out, size, "inp", inp.data, size, true);
  args.separate(out, size, "gamma", gamma.data, static_cast<uint64_t>(C));
  args.separate(out, size, "beta", beta.data, static_cast<uint64_t>(C));
  const LayerNormArgs kernel{out.data, inp.data, gamma.data, beta.data, M, C, static_cast<float>(eps)};
  args.run([&](const KernelTable& k) { k.layer_norm(kernel); });
  return info.Env().Undefined();
}

// attention(out, q, k, v, positionBias|null, lengths, B, T, NH, HS)
Napi::Value Attention(const Napi::CallbackInfo& info) {
  const Arguments args(info, "attention", 10);
  const View<float> out = args.floats(0, "out");
  const View<float> q = args.floats(1, "q");
  const View<float> k = args.floats(2, "k");
  const View<float> v = args.floats(3, "v");
  const View<float> position_bias = args.floats(4, "positionBias", true);
  const View<const int32_t> lengths = args.ints(5, "lengths");
  const int64_t B = args.size(6, "B"), T = args.size(7, "T"), NH = args.size(8, "NH"), HS = args.size(9, "HS");
  const uint64_t size = args.product({args.total_tokens(lengths, B, T), NH, HS});
  args.holds(out, "out", size);
  args.holds(q, "q", size);
  args.holds(k, "k", size);
  args.holds(v, "v", size);
  if (position_bias.data != nullptr) args.holds(position_bias, "positionBias", args.product({NH, T, T}));
  args.separate(out, size, "q", q.data, size);
  args.separate(out, size, "k", k.data, size);
  args.separate(out, size, "v", v.data, size);
  args.separate(out, size, "positionBias", position_bias.data, position_bias.data ? args.product({NH, T, T}) : 0);
  const AttentionArgs kernel{out.data, q.data, k.data, v.data, position_bias.data, lengths.data, B, T, NH, HS};
  args.run([&](const KernelTable& table) { table.attention(kernel); });
  return info.Env().Undefined();
}

// pool(out, hidden, lengths, B, C, mode)
Napi::Value Pool(const Napi::CallbackInfo& info) {
  static const struct {
    const char* name;
    PoolMode mode;
  } kModes[] = {{"cls", PoolMode::cls},   {"max", PoolMode::max},
                {"mean", PoolMode::mean}, {"meanSqrtLen", PoolMode::mean_sqrt_len},
                {"weightedMean", PoolMode::weighted_mean}, {"lastToken", PoolMode::last_token}};
  const Arguments args(info, "pool", 6);
  const View<float> out = args.floats(0, "out");
  const View<float> hidden = args.floats(1, "hidden");
  const View<const int32_t> lengths = args.ints(2, "lengths");
  const int64_t B = args.size(3, "B"), C = args.size(4, "C");
  const std::string name = args.string(5, "mode");
  const auto* mode = std::find_if(std::begin(kModes), std::end(kModes), [&](const auto& m) { return name == m.name; });
  if (mode == std::end(kModes)) args.fail("unknown mode " + name + " (cls, max, mean, meanSqrtLen, weightedMean, lastToken)");
  const uint64_t out_size = args.product({B, C});
  args.holds(out, "out", out_size);
  const uint64_t hidden_size = args.product({args.total_tokens(lengths, B, 0), C});
  args.holds(hidden, "hidden", hidden_size);
  args.separate(out, out_size, "hidden", hidden.data, hidden_size);
  const PoolArgs kernel{out.data, hidden.data, lengths.data, B, C, mode->mode};
  args.run([&](const KernelTable& k) { k.pool(kernel); });
  return info.Env().Undefined();
}

// isaLevels() → [{ name, supported }], best last
Napi::Value IsaLevels(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Array levels = Napi::Array::New(env);
  for (int index = 0; index < isa_level_count(); index++) {
    const IsaLevel level = isa_level(index);
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", level.table->name);
    entry.Set("supported", level.supported);
    levels.Set(static_cast<uint32_t>(index), entry);
  }
  return levels;
}

// linearTiles() → [{ isa, rows, columns }] for every ISA level of any build (NEON's included on
// x86-64 and the x86 levels on arm64): the register tiles LinearWeight pads its columns for.
Napi::Value LinearTiles(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Array tiles = Napi::Array::New(env);
  uint32_t index = 0;
  for (const LinearTile& tile : kLinearTiles) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("isa", tile.isa);
    entry.Set("rows", tile.rows);
    entry.Set("columns", static_cast<double>(tile.columns()));
    tiles.Set(index++, entry);
  }
  return tiles;
}

Napi::Value Isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), active_kernels().name); }

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  const Arguments args(info, "setIsa", 1);
  const std::string problem = select_isa(args.string(0, "name"));
  if (!problem.empty()) args.fail(problem);
  return info.Env().Undefined();
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), thread_count()); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const Arguments args(info, "setThreads", 1);
  const int64_t threads = args.size(0, "threads");
  if (threads > 1024) args.fail("threads must be at most 1024, got " + std::to_string(threads));
  args.run([&](const KernelTable&) { set_thread_count(static_cast<int>(threads)); });
  return info.Env().Undefined();
}

// fmaPeak(seconds) → GFLOP per CPU-second of the active ISA's FMA loop on every pool thread (a
// per-core rate other work on the machine barely moves), best of a few runs of about `seconds`
// of CPU time in total.
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  const Arguments args(info, "fmaPeak", 1);
  const double seconds = args.number(0, "seconds");
  if (!(seconds > 0 && seconds <= 60)) args.fail("seconds must be in (0, 60]");
  const KernelTable& kernels = active_kernels();
  int64_t iterations = 1 << 16;
  double best = 0;
  const double deadline = process_cpu_seconds() + seconds;
  while (process_cpu_seconds() < deadline) {
    const double start = process_cpu_seconds();
    const double flops = kernels.fma_burn(iterations);
    const double used = process_cpu_seconds() - start;
    if (used < 0.02) {
      iterations *= 2;  // too short to time well
      continue;
    }
    best = std::max(best, flops / used / 1e9);
  }
  return Napi::Number::New(info.Env(), best);
}

#if defined(__unix__) || defined(__APPLE__)
// mapFile(path) → ArrayBuffer over a private copy-on-write mapping of the whole file, unmapped
// by unmapFile or when the buffer is collected. Loading reads the weights from the page cache
// without a copy of the whole file in memory; the model keeps its own copies, not the mapping.
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  const Arguments args(info, "mapFile", 1);
  const std::string path = args.string(0, "path");
  const auto problem = [&](const char* step) { args.fail("cannot " + std::string(step) + " " + path + ": " + std::strerror(errno)); };
  struct Descriptor {
    int fd;
    ~Descriptor() {
      if (fd >= 0) ::close(fd);
    }
  } file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};  // a FIFO would block open() for a writer
  if (file.fd < 0) problem("open");
  struct stat status;
  if (::fstat(file.fd, &status) != 0) problem("stat");
  if (!S_ISREG(status.st_mode)) args.fail("cannot map " + path + ": not a regular file");
  const size_t size = static_cast<size_t>(status.st_size);
  if (size == 0) return Napi::ArrayBuffer::New(info.Env(), 0);
  // Private and writable, so a stray write changes this process's copy of a page, never the file
  // nor a crash; read faults map page-cache pages in batches, and pages never read (most of the
  // word-embedding table) never count against the process.
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
  if (data == MAP_FAILED) problem("map");
  static std::atomic<uint64_t> next_id{1};
  const uint64_t id = next_id++;
  mapped_files().add(data, OwnedRange{size / sizeof(float), id});
  // Unmapped here unless unmapFile did it first.
  return Napi::ArrayBuffer::New(info.Env(), data, size, [size, id](Napi::Env, void* mapped) {
    if (mapped_files().take(mapped, id)) ::munmap(mapped, size);
  });
}
#endif

#if defined(__unix__) || defined(__APPLE__)
// releasePages(bytes): the whole pages of a Uint8Array lying in a mapFile mapping go back to the
// OS (read again from the file if touched); for a tensor the model has copied, so that the copy
// and the mapped pages it came from are never both resident. Bytes outside any mapping: no-op.
Napi::Value ReleasePages(const Napi::CallbackInfo& info) {
  const Arguments args(info, "releasePages", 1);
  const View<const uint8_t> bytes = args.bytes(0, "bytes");
  release_mapped_pages(bytes.data, bytes.length);
  return info.Env().Undefined();
}
#endif

#if defined(__unix__) || defined(__APPLE__)
// unmapFile(buffer): detaches a mapFile buffer (JavaScript sees it empty from then on, so nothing
// can read the pages) and unmaps it now, so the model no longer depends on the file: a file
// truncated or rewritten after load can neither crash the process (SIGBUS) nor change a weight.
Napi::Value UnmapFile(const Napi::CallbackInfo& info) {
  const Arguments args(info, "unmapFile", 1);
  if (!info[0].IsArrayBuffer()) args.fail("buffer must be an ArrayBuffer from mapFile");
  Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
  if (buffer.ByteLength() == 0) return info.Env().Undefined();  // an empty file, or unmapped already
  void* data = buffer.Data();
  const size_t size = buffer.ByteLength();
  OwnedRange mapping;
  if (!mapped_files().starting_at(data, &mapping)) args.fail("buffer must be an ArrayBuffer from mapFile");
  buffer.Detach();
  if (mapped_files().take(data, mapping.id)) ::munmap(data, size);
  return info.Env().Undefined();
}
#endif

// trimMemory(): returns the free memory of every malloc arena to the OS. Buffers of a large
// batch are allocated and freed inside the heap once glibc's adaptive mmap threshold has risen
// past their size, and would otherwise stay resident after they are freed.
Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
  return info.Env().Undefined();
}

void configure_from_environment(Napi::Env env) {
  const std::string problem = select_isa_from_environment();
  if (!problem.empty()) throw Napi::Error::New(env, "sentvec native: " + problem);
  const char* threads = std::getenv("SENTVEC_THREADS");
  if (threads != nullptr && *threads != '\0') {
    char* end = nullptr;
    const long count = std::strtol(threads, &end, 10);
    if (*end != '\0' || count < 1 || count > 1024) {
      throw Napi::Error::New(env, "sentvec native: SENTVEC_THREADS must be an integer in 1..1024, got '" +
                                      std::string(threads) + "'");
    }
    set_thread_count(static_cast<int>(count));
  }
}

}  // namespace sentvec
