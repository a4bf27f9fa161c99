// The JavaScript-facing functions: each validates every argument against the real typed-array
// lengths, copies it into a plain kernel struct and runs the kernel synchronously.
#pragma once

#include <napi.h>

namespace sentvec {

// Applies $SENTVEC_ISA and $SENTVEC_THREADS; throws a JS error when either is invalid.
void configure_from_environment(Napi::Env env);

Napi::Value Embed(const Napi::CallbackInfo& info);
Napi::Value Linear(const Napi::CallbackInfo& info);
Napi::Value PackLinear(const Napi::CallbackInfo& info);
Napi::Value LayerNorm(const Napi::CallbackInfo& info);
Napi::Value Attention(const Napi::CallbackInfo& info);
Napi::Value Pool(const Napi::CallbackInfo& info);

Napi::Value IsaLevels(const Napi::CallbackInfo& info);
Napi::Value Isa(const Napi::CallbackInfo& info);
Napi::Value SetIsa(const Napi::CallbackInfo& info);
Napi::Value Threads(const Napi::CallbackInfo& info);
Napi::Value SetThreads(const Napi::CallbackInfo& info);
Napi::Value FmaPeak(const Napi::CallbackInfo& info);
#if defined(__unix__) || defined(__APPLE__)
Napi::Value MapFile(const Napi::CallbackInfo& info);
Napi::Value UnmapFile(const Napi::CallbackInfo& info);
Napi::Value TrimMemory(const Napi::CallbackInfo& info);
#endif

}  // namespace sentvec
