#include "targets/exclusion_overlay.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

namespace mailsweep::targets {
namespace {

uint32_t Ip(const char* text) { return *ParseIpv4(text); }

TEST_CASE("ExclusionOverlay: nothing is excluded until a set is published", "[overlay]") {
  ExclusionOverlay overlay;
  CHECK(overlay.Current() == nullptr);
  CHECK(overlay.generation() == 0);
  CHECK_FALSE(IsExcluded(overlay.Current(), Ip("198.18.0.1")));
  overlay.Publish(IntervalSet());  // an empty set excludes nothing and costs the hot path nothing
  CHECK(overlay.Current() == nullptr);
  CHECK(overlay.generation() == 1);
}

TEST_CASE("ExclusionOverlay: a published set is in force and earlier ones stay alive",
          "[overlay]") {
  ExclusionOverlay overlay;
  overlay.Publish(IntervalSet({*ParseIpv4Range("198.18.1.0/24")}));
  const IntervalSet* first = overlay.Current();
  REQUIRE(first != nullptr);
  CHECK(IsExcluded(first, Ip("198.18.1.7")));
  CHECK_FALSE(IsExcluded(first, Ip("198.18.2.7")));

  overlay.Publish(IntervalSet({*ParseIpv4Range("198.18.1.0/24"), *ParseIpv4Range("198.18.2.7")}));
  const IntervalSet* second = overlay.Current();
  CHECK(second != first);
  CHECK(IsExcluded(second, Ip("198.18.2.7")));
  CHECK(overlay.generation() == 2);
  // A reader that still holds the first set may go on using it.
  CHECK(first->Count() == 256);
  CHECK(IsExcluded(first, Ip("198.18.1.255")));
}

TEST_CASE("ExclusionOverlay: readers on other threads see every set whole", "[overlay]") {
  ExclusionOverlay overlay;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0};
  std::thread reader([&] {
    while (!stop.load()) {
      // Every published set holds 10.0.0.0 and is a prefix of the ranges below: a set seen
      // without its first range would be a torn read.
      if (const IntervalSet* x = overlay.Current(); x != nullptr && !x->Contains(0x0a000000u)) {
        torn.fetch_add(1);
      }
    }
  });
  std::vector<Ipv4Range> ranges;
  for (uint32_t i = 0; i < 200; ++i) {
    ranges.push_back({0x0a000000u + i * 4, 0x0a000000u + i * 4 + 1});
    overlay.Publish(IntervalSet(ranges));
  }
  stop.store(true);
  reader.join();
  CHECK(torn.load() == 0);
  CHECK(overlay.Current()->Count() == 400);
}

}  // namespace
}  // namespace mailsweep::targets
