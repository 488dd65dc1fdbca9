// The memory this process may use: the machine's physical memory, its control group's limit
// (a container's, a Slurm job's) and its address-space limit (ulimit -v), whichever is smallest.
// Settings that size memory (the prober's queues and connections, the roll-up's budget) are
// checked against it before anything is allocated, so that a large value is refused with a
// message instead of ending in std::bad_alloc or the OOM killer. Any thread; reads /sys and
// getrlimit() on each call (set-up code only).
//
// Example:
//   if (bytes > ProcessUsableMemory() / 4) return absl::InvalidArgumentError("...");
#ifndef MAILSWEEP_BASE_USABLE_MEMORY_H_
#define MAILSWEEP_BASE_USABLE_MEMORY_H_

#include <cstdint>
#include <string_view>

namespace mailsweep {

// The smallest of `physical_bytes`, `cgroup_limit` (the text of cgroup v2's memory.max or v1's
// memory.limit_in_bytes; "" when neither exists; "max" or 0: no limit) and
// `address_space_limit` (RLIMIT_AS; UINT64_MAX: none).
uint64_t UsableMemory(uint64_t physical_bytes, std::string_view cgroup_limit,
                      uint64_t address_space_limit);

// UsableMemory() of this machine, the control group this process runs in and its RLIMIT_AS.
uint64_t ProcessUsableMemory();

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_USABLE_MEMORY_H_
