// The roll-up's memory budget: how many bytes of tuples the reading workers may hold before they
// compact their lists (AggregateOptions::memory_budget, results/agg/aggregator.h). The default
// is a quarter of what the process may use: the machine's physical memory or its control
// group's limit (a container's, a Slurm job's), whichever is smaller. Any thread.
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

// DefaultMemoryBudget() of this machine and the control group this process runs in.
uint64_t MachineMemoryBudget();

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_MEMORY_BUDGET_H_
