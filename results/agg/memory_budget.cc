#include "results/agg/memory_budget.h"

#include <limits>

#include "base/usable_memory.h"

namespace mailsweep::results {

uint64_t DefaultMemoryBudget(uint64_t physical_bytes, std::string_view cgroup_limit) {
  return UsableMemory(physical_bytes, cgroup_limit, std::numeric_limits<uint64_t>::max()) / 4;
}

uint64_t MachineMemoryBudget() { return ProcessUsableMemory() / 4; }

}  // namespace mailsweep::results
