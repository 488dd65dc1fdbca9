#include "targets/interval_set.h"

#include <catch2/catch.hpp>
#include <random>
#include <set>

namespace mailsweep::targets {
namespace {

// The model: a std::set of addresses over a small universe.
std::set<uint32_t> Expand(const IntervalSet& s) {
  std::set<uint32_t> out;
  for (const Ipv4Range& r : s.ranges()) {
    for (uint64_t a = r.first; a <= r.last; ++a) out.insert(static_cast<uint32_t>(a));
  }
  return out;
}

IntervalSet RandomSet(std::mt19937& rng, uint32_t universe, int max_ranges) {
  std::vector<Ipv4Range> ranges;
  const int n = static_cast<int>(rng() % (max_ranges + 1));
  for (int i = 0; i < n; ++i) {
    uint32_t a = rng() % universe, b = rng() % universe;
    if (rng() % 3 == 0) b = a + rng() % 4;
    if (b >= universe) b = universe - 1;
    ranges.push_back({std::min(a, b), std::max(a, b)});
  }
  return IntervalSet(ranges);
}

TEST_CASE("IntervalSet merges overlapping and adjacent ranges") {
  IntervalSet s({{10, 20}, {21, 30}, {5, 12}, {40, 40}, {42, 50}, {41, 41}});
  CHECK(s.ranges() == std::vector<Ipv4Range>{{5, 30}, {40, 50}});
  CHECK(s.Count() == 26 + 11);
  CHECK(s.Contains(5));
  CHECK(s.Contains(30));
  CHECK_FALSE(s.Contains(31));
  CHECK_FALSE(s.Contains(4));
}

TEST_CASE("IntervalSet handles the whole address space and its edges") {
  IntervalSet all({{0, 0xffffffffu}});
  CHECK(all.Count() == (uint64_t{1} << 32));
  CHECK(all.AddressAt(0) == 0u);
  CHECK(all.AddressAt((uint64_t{1} << 32) - 1) == 0xffffffffu);
  IntervalSet holes = all.Subtract(IntervalSet({{0, 0}, {0xffffffffu, 0xffffffffu}}));
  CHECK(holes.ranges() == std::vector<Ipv4Range>{{1, 0xfffffffeu}});
  CHECK(IntervalSet({{0xfffffff0u, 0xffffffffu}, {0, 3}}).ranges().size() == 2);
}

TEST_CASE("IntervalSet algebra and AddressAt agree with a set model") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    const uint32_t universe = 1 + rng() % 2000;
    IntervalSet a = RandomSet(rng, universe, 12);
    IntervalSet b = RandomSet(rng, universe, 12);
    std::set<uint32_t> ma = Expand(a), mb = Expand(b);

    std::set<uint32_t> u = ma, d, i;
    u.insert(mb.begin(), mb.end());
    for (uint32_t x : ma) (mb.count(x) ? i : d).insert(x);
    CHECK(Expand(a.Union(b)) == u);
    CHECK(Expand(a.Subtract(b)) == d);
    CHECK(Expand(a.Intersect(b)) == i);

    REQUIRE(a.Count() == ma.size());
    uint64_t index = 0;
    for (uint32_t x : ma) {
      REQUIRE(a.AddressAt(index++) == x);
      REQUIRE(a.Contains(x));
    }
  }
}

TEST_CASE("AddressAt walks a space with many holes in order") {
  // A /16 with every other /24 and, inside the kept ones, every fourth address removed.
  std::vector<Ipv4Range> holes;
  for (uint32_t i = 0; i < 256; i += 2) holes.push_back({(i << 8), (i << 8) + 255});
  for (uint32_t a = 0; a < 65536; a += 4) holes.push_back({a, a});
  IntervalSet s = IntervalSet({{0, 65535}}).Subtract(IntervalSet(holes));
  CHECK(s.Count() == 128 * 192);
  uint32_t prev = 0;
  for (uint64_t i = 0; i < s.Count(); ++i) {
    uint32_t a = s.AddressAt(i);
    REQUIRE(((a >> 8) & 1) == 1);
    REQUIRE(a % 4 != 0);
    if (i) REQUIRE(a > prev);
    prev = a;
  }
}

}  // namespace
}  // namespace mailsweep::targets
