#include "base/usable_memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <string>

namespace mailsweep {

uint64_t UsableMemory(uint64_t physical_bytes, std::string_view cgroup_limit,
                      uint64_t address_space_limit) {
  uint64_t usable = std::min(physical_bytes, address_space_limit);
  uint64_t limit = 0;
  const auto [end, ec] =
      std::from_chars(cgroup_limit.data(), cgroup_limit.data() + cgroup_limit.size(), limit);
  if (ec == std::errc() && end != cgroup_limit.data() && limit > 0) {
    usable = std::min(usable, limit);  // "max" does not parse: no limit
  }
  return usable;
}

uint64_t ProcessUsableMemory() {
  std::string limit;
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (std::ifstream in(path); in && std::getline(in, limit)) break;
  }
  uint64_t address_space = std::numeric_limits<uint64_t>::max();
  if (rlimit r; getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY) {
    address_space = r.rlim_cur;
  }
  return UsableMemory(static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                          static_cast<uint64_t>(sysconf(_SC_PAGESIZE)),
                      limit, address_space);
}

}  // namespace mailsweep
