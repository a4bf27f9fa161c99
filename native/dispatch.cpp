// The ISA ladder: every level this build contains, best last, each checked against the CPU at
// run time, so one binary runs on any x86-64 (or arm64) and uses the widest vectors it has.
#include "dispatch.h"

#include <atomic>
#include <cstdlib>

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

bool cpu_supports(const KernelTable& table) {
  const std::string name = table.name;
#if defined(__x86_64__) || defined(_M_X64)
  // __builtin_cpu_supports also checks that the OS saves the ymm/zmm state (XGETBV)
  __builtin_cpu_init();
  if (name == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (name == "avx512") return __builtin_cpu_supports("avx512f");
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
