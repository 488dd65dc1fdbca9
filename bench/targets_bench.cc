// Benchmark: targets generated per second on one core for a /8 x 4 ports walk with a realistic
// blocklist (the built-in reserved ranges plus 2,000 opt-out blocks of /24 to /16 inside the /8,
// as a long-running scanner accumulates). Prints one JSON object; not part of ctest.
//
//   build/bench/targets_bench [--seconds-min S]
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "targets/permutation.h"
#include "targets/reserved.h"
#include "targets/target_space.h"

using namespace mailsweep::targets;

int main() {
  std::mt19937 rng(1);
  std::vector<Ipv4Range> opt_out;
  const uint32_t base = 0x2d000000;  // 45.0.0.0/8: public, no reserved block inside
  for (int i = 0; i < 2000; ++i) {
    const int len = 16 + static_cast<int>(rng() % 9);  // /16 .. /24
    const uint32_t size = 1u << (32 - len);
    const uint32_t first = (base | (rng() & 0x00ffffffu)) & ~(size - 1);
    opt_out.push_back({first, first + size - 1});
  }
  const IntervalSet allowed = IntervalSet({{base, base | 0x00ffffffu}})
                                  .Subtract(DefaultBlocklist())
                                  .Subtract(IntervalSet(opt_out));
  const TargetSpace space(allowed, {110, 143, 993, 995});
  auto perm = Permutation::Create(space.size(), 12345);
  if (!perm.ok()) return 1;

  // Warm-up pass over a small part, then the timed full walk.
  uint64_t checksum = 0, count = 0;
  const auto start = std::chrono::steady_clock::now();
  TargetWalk walk(space, *perm, perm->All());
  for (Target t; walk.Next(&t);) {
    checksum += t.address ^ t.port;
    ++count;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf(
      "{\"bench\":\"targets_walk\",\"space\":\"45.0.0.0/8 x 4 ports\",\"allowed_ranges\":%zu,"
      "\"targets\":%llu,\"positions\":%llu,\"seconds\":%.3f,\"targets_per_second\":%.0f,"
      "\"checksum\":%llu}\n",
      allowed.ranges().size(), static_cast<unsigned long long>(count),
      static_cast<unsigned long long>(perm->cycle_length()), seconds, count / seconds,
      static_cast<unsigned long long>(checksum));
  return count == space.size() ? 0 : 1;
}
