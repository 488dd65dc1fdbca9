// base/usable_memory.h: the smallest of the machine, the control group and RLIMIT_AS.
#include "base/usable_memory.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <algorithm>
#include <limits>

namespace mailsweep {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

TEST_CASE("UsableMemoryIsTheSmallestOfMachineCgroupAndAddressSpace") {
  CHECK(UsableMemory(24 * kGiB, "", kNone) == 24 * kGiB);
  CHECK(UsableMemory(24 * kGiB, "max\n", kNone) == 24 * kGiB);         // cgroup v2, no limit
  CHECK(UsableMemory(24 * kGiB, "8589934592\n", kNone) == 8 * kGiB);  // an 8 GiB job
  CHECK(UsableMemory(24 * kGiB, "garbage", kNone) == 24 * kGiB);
  CHECK(UsableMemory(24 * kGiB, "0", kNone) == 24 * kGiB);
  CHECK(UsableMemory(24 * kGiB, "8589934592", 2 * kGiB) == 2 * kGiB);  // ulimit -v
  CHECK(UsableMemory(4 * kGiB, "8589934592", 6 * kGiB) == 4 * kGiB);
}

TEST_CASE("ProcessUsableMemoryFollowsTheAddressSpaceLimit") {
  const uint64_t before = ProcessUsableMemory();
  CHECK(before > 0);
  // In a child, so that the limit does not reach the other tests.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const rlimit r{kGiB, kGiB};
    const bool ok = setrlimit(RLIMIT_AS, &r) == 0 && ProcessUsableMemory() <= kGiB &&
                    ProcessUsableMemory() == std::min(before, kGiB);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace mailsweep
