// The JavaScript-facing functions: each validates every argument against the real typed-array
// lengths, copies it into a plain kernel struct and runs the kernel synchronously.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "aligned.h"
#include "kernels.h"

namespace sentvec {

// Applies $SENTVEC_ISA and $SENTVEC_THREADS; throws a JS error when either is invalid.
void configure_from_environment(Napi::Env env);

// 64-byte aligned memory of the addon's own
using Memory = std::unique_ptr<void, AlignedFree>;

// The LinearWeight class (see binding.cpp): a Linear weight in the GEMM's packed layout, in memory
// only the addon reads.
class LinearWeightHandle : public Napi::ObjectWrap<LinearWeightHandle> {
 public:
  // The class for `env`, remembered so From() can tell its instances from look-alikes.
  static Napi::Function Define(Napi::Env env);
  // The handle `value` is, or null when it is anything else.
  static const LinearWeightHandle* From(const Napi::Value& value);

  explicit LinearWeightHandle(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

  int64_t N() const { return N_; }
  int64_t K() const { return K_; }
  WeightFormat format() const { return format_; }
  const void* packed() const { return packed_.get(); }

 private:
  Napi::Value GetN(const Napi::CallbackInfo& info);
  Napi::Value GetK(const Napi::CallbackInfo& info);
  Napi::Value GetFormat(const Napi::CallbackInfo& info);
  Napi::Value GetBytes(const Napi::CallbackInfo& info);

  int64_t N_ = 0, K_ = 0;
  WeightFormat format_ = WeightFormat::f32;
  uint64_t bytes_ = 0;
  Memory packed_;
};

Napi::Value Embed(const Napi::CallbackInfo& info);
Napi::Value Linear(const Napi::CallbackInfo& info);
Napi::Value LayerNorm(const Napi::CallbackInfo& info);
Napi::Value Attention(const Napi::CallbackInfo& info);
Napi::Value Pool(const Napi::CallbackInfo& info);

Napi::Value IsaLevels(const Napi::CallbackInfo& info);
Napi::Value LinearTiles(const Napi::CallbackInfo& info);
Napi::Value Isa(const Napi::CallbackInfo& info);
Napi::Value SetIsa(const Napi::CallbackInfo& info);
Napi::Value Threads(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);
Napi::Value FmaPeak(const Napi::CallbackInfo& info);
Napi::Value TrimMemory(const Napi::CallbackInfo& info);
#if defined(__unix__) || defined(__APPLE__)
Napi::Value MapFile(const Napi::CallbackInfo& info);
Napi::Value UnmapFile(const Napi::CallbackInfo& info);
Napi::Value ReleasePages(const Napi::CallbackInfo& info);
#endif

}  // namespace sentvec
