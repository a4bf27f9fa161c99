// The addon's entry point: registers the exports and nothing else (see binding.cpp).
#include <napi.h>

#include "binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sentvec::configure_from_environment(env);
  exports.Set("embed", Napi::Function::New(env, sentvec::Embed, "embed"));
  exports.Set("linear", Napi::Function::New(env, sentvec::Linear, "linear"));
  exports.Set("LinearWeight", sentvec::LinearWeightHandle::Define(env));
  exports.Set("layerNorm", Napi::Function::New(env, sentvec::LayerNorm, "layerNorm"));
  exports.Set("attention", Napi::Function::New(env, sentvec::Attention, "attention"));
  exports.Set("pool", Napi::Function::New(env, sentvec::Pool, "pool"));
  exports.Set("isaLevels", Napi::Function::New(env, sentvec::IsaLevels, "isaLevels"));
  exports.Set("linearTiles", Napi::Function::New(env, sentvec::LinearTiles, "linearTiles"));
  exports.Set("isa", Napi::Function::New(env, sentvec::Isa, "isa"));
  exports.Set("setIsa", Napi::Function::New(env, sentvec::SetIsa, "setIsa"));
  exports.Set("threads", Napi::Function::New(env, sentvec::Threads, "threads"));
  exports.Set("setThreads", Napi::Function::New(env, sentvec::SetThreads, "setThreads"));
  exports.Set("fmaPeak", Napi::Function::New(env, sentvec::FmaPeak, "fmaPeak"));
  exports.Set("trimMemory", Napi::Function::New(env, sentvec::TrimMemory, "trimMemory"));
#if defined(__unix__) || defined(__APPLE__)
  exports.Set("mapFile", Napi::Function::New(env, sentvec::MapFile, "mapFile"));
  exports.Set("unmapFile", Napi::Function::New(env, sentvec::UnmapFile, "unmapFile"));
  exports.Set("releasePages", Napi::Function::New(env, sentvec::ReleasePages, "releasePages"));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(sentvec, Init)
