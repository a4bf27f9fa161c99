// 64-byte aligned heap blocks owned by a unique_ptr. Windows' C runtime has no aligned_alloc: its
// aligned blocks come from _aligned_malloc and must go back through _aligned_free, never free.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#if defined(_WIN32)
#include <malloc.h>
#endif

namespace sentvec {

struct AlignedFree {
  void operator()(void* p) const {
#if defined(_WIN32)
    _aligned_free(p);
#else
    std::free(p);
#endif
  }
};

// `bytes` rounded up to a whole number of 64-byte lines; null when out of memory.
template <typename T>
std::unique_ptr<T, AlignedFree> aligned_alloc64(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
#if defined(_WIN32)
  return std::unique_ptr<T, AlignedFree>(static_cast<T*>(_aligned_malloc(rounded, 64)));
#else
  return std::unique_ptr<T, AlignedFree>(static_cast<T*>(std::aligned_alloc(64, rounded)));
#endif
}

}  // namespace sentvec
