#include "results/agg/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string>

namespace mailsweep::results {

uint64_t DefaultMemoryBudget(uint64_t physical_bytes, std::string_view cgroup_limit) {
  uint64_t usable = physical_bytes;
  uint64_t limit = 0;
  const auto [end, ec] =
      std::from_chars(cgroup_limit.data(), cgroup_limit.data() + cgroup_limit.size(), limit);
  if (ec == std::errc() && end != cgroup_limit.data() && limit > 0) {
    usable = std::min(usable, limit);  // "max" does not parse: no limit
  }
  return usable / 4;
}

uint64_t MachineMemoryBudget() {
  std::string limit;
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (std::ifstream in(path); in && std::getline(in, limit)) break;
  }
  return DefaultMemoryBudget(static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                                 static_cast<uint64_t>(sysconf(_SC_PAGESIZE)),
                             limit);
}

}  // namespace mailsweep::results
