// The roll-up's memory budget: how many bytes of tuples the reading workers may hold before they
// compact their lists (AggregateOptions::memory_budget, results/agg/aggregator.h). The default
// is a quarter of what the process may use (base/usable_memory.h): the machine's physical
// memory, its control group's limit (a container's, a Slurm job's) or its address-space limit,
// whichever is smallest. Any thread.
//
// Example:
//   const uint64_t budget = options.memory_budget ? options.memory_budget : MachineMemoryBudget();
#ifndef MAILSWEEP_RESULTS_AGG_MEMORY_BUDGET_H_
#define MAILSWEEP_RESULTS_AGG_MEMORY_BUDGET_H_

#include <cstdint>
#include <string_view>

namespace mailsweep::results {

// The default AggregateOptions::memory_budget for `physical_bytes` of memory and `cgroup_limit`,
// the text of cgroup v2's memory.max or v1's memory.limit_in_bytes ("" when neither exists;
// "max" or a huge number: no limit).
uint64_t DefaultMemoryBudget(uint64_t physical_bytes, std::string_view cgroup_limit);

// A quarter of ProcessUsableMemory(): this machine, its control group and RLIMIT_AS.
uint64_t MachineMemoryBudget();

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_MEMORY_BUDGET_H_
