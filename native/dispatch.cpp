// The ISA ladder: every level this build contains, best last, each checked against the CPU at
// run time, so one binary runs on any x86-64 (or arm64) and uses the widest vectors it has.
#include "dispatch.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace sentvec {
namespace {

#define SENTVEC_TABLE(ns) \
  KernelTable {                                                                                       \
    #ns, ns::pack_linear, ns::linear, ns::pack_linear_i8, ns::pack_quantized_i8, ns::linear_i8, ns::layer_norm, ns::attention, \
        ns::embed, ns::pool, ns::fma_burn                                                              \
  }

const KernelTable kTables[] = {
    SENTVEC_TABLE(scalar),
#if defined(__x86_64__) || defined(_M_X64)
    SENTVEC_TABLE(avx2),
    SENTVEC_TABLE(avx512),
#elif defined(__aarch64__)
    SENTVEC_TABLE(neon),
#endif
};
#undef SENTVEC_TABLE

constexpr int kLevels = static_cast<int>(sizeof kTables / sizeof kTables[0]);

#if defined(__x86_64__) || defined(_M_X64)
X86Features read_x86_features() {
  X86Features found{};
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return found;
  const bool fma = ecx & (1u << 12), osxsave = ecx & (1u << 27), avx = ecx & (1u << 28);
  if (!osxsave || !avx) return found;
  uint32_t xcr0_low, xcr0_high;
  asm volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  const bool ymm_saved = (xcr0_low & 0x06) == 0x06;  // SSE and AVX state
  const bool zmm_saved = (xcr0_low & 0xe6) == 0xe6;  // plus opmask and both zmm halves
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return found;
  found.avx2_fma = ymm_saved && fma && (ebx & (1u << 5));
  found.avx512f = zmm_saved && (ebx & (1u << 16));
  found.avx512vnni = found.avx512f && (ecx & (1u << 11));
  return found;
}
#endif

bool cpu_supports(const KernelTable& table) {
  const std::string name = table.name;
#if defined(__x86_64__) || defined(_M_X64)
  if (name == "avx2") return x86_features().avx2_fma;
  if (name == "avx512") return x86_features().avx512f;
#endif
  return true;  // scalar everywhere, NEON is part of the arm64 baseline
}

const KernelTable* best_supported() {
  for (int level = kLevels - 1; level > 0; level--) {
    if (cpu_supports(kTables[level])) return &kTables[level];
  }
  return &kTables[0];
}

std::atomic<const KernelTable*>& active() {
  static std::atomic<const KernelTable*> table{best_supported()};
  return table;
}

std::string level_names(bool supported_only) {
  std::string names;
  for (int level = 0; level < kLevels; level++) {
    if (supported_only && !cpu_supports(kTables[level])) continue;
    names += (names.empty() ? "" : ", ") + std::string(kTables[level].name);
  }
  return names;
}

}  // namespace

#if defined(__x86_64__) || defined(_M_X64)
const X86Features& x86_features() {
  static const X86Features features = read_x86_features();
  return features;
}
#endif

bool i8_offsets_packed() {
#if defined(__x86_64__) || defined(_M_X64)
  return x86_features().avx512f && x86_features().avx512vnni;
#else
  return false;
#endif
}

int isa_level_count() { return kLevels; }

IsaLevel isa_level(int index) { return {&kTables[index], cpu_supports(kTables[index])}; }

const KernelTable& active_kernels() { return *active().load(std::memory_order_acquire); }

std::string select_isa(const std::string& name) {
  for (const KernelTable& table : kTables) {
    if (name != table.name) continue;
    if (!cpu_supports(table)) {
      return "this CPU cannot run ISA level '" + name + "'; it supports " + level_names(true);
    }
    active().store(&table, std::memory_order_release);
    return "";
  }
  return "unknown ISA level '" + name + "'; this build has " + level_names(false);
}

std::string select_isa_from_environment() {
  const char* requested = std::getenv("SENTVEC_ISA");
  if (requested == nullptr || *requested == '\0') return "";
  const std::string problem = select_isa(requested);
  return problem.empty() ? "" : "SENTVEC_ISA: " + problem;
}

}  // namespace sentvec
