// Run-time ISA dispatch: which kernel table this CPU can run, and which one every call uses.
#pragma once

#include <string>

#include "kernels.h"

namespace sentvec {

// The ISA levels this build contains, best last, and whether this CPU can run each.
struct IsaLevel {
  const KernelTable* table;
  bool supported;
};
int isa_level_count();
IsaLevel isa_level(int index);

// The table every kernel call goes through: $SENTVEC_ISA at load, else the best supported level.
const KernelTable& active_kernels();
// Switches the level by name; returns why it cannot, or an empty string on success.
std::string select_isa(const std::string& name);
// Applies $SENTVEC_ISA when it is set; returns why it cannot, or an empty string.
std::string select_isa_from_environment();

}  // namespace sentvec
