// results/agg/memory_budget.h: a quarter of the machine or of its control group's limit.
#include "results/agg/memory_budget.h"

#include <catch2/catch.hpp>
#include <cstdint>

namespace mailsweep::results {
namespace {

TEST_CASE("memory budget: the default is a quarter of the machine or its cgroup") {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  CHECK(DefaultMemoryBudget(24 * kGiB, "") == 6 * kGiB);
  CHECK(DefaultMemoryBudget(24 * kGiB, "max\n") == 6 * kGiB);                  // cgroup v2
  CHECK(DefaultMemoryBudget(24 * kGiB, "9223372036854771712\n") == 6 * kGiB);  // v1, none
  CHECK(DefaultMemoryBudget(24 * kGiB, "8589934592\n") == 2 * kGiB);           // an 8 GiB job
  CHECK(DefaultMemoryBudget(24 * kGiB, "0") == 6 * kGiB);
  CHECK(DefaultMemoryBudget(24 * kGiB, "garbage") == 6 * kGiB);
}

}  // namespace
}  // namespace mailsweep::results
