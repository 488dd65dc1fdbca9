#include "engine/sweep/dedup_bitmap.h"

#include <catch2/catch.hpp>

namespace mailsweep::engine {

using targets::IntervalSet;
using targets::TargetSpace;

TEST_CASE("DedupBitmap reports new, duplicate and outside", "[dedup]") {
  TargetSpace space(IntervalSet({{0xC6120000, 0xC61200FF}, {0xC6130000, 0xC613000F}}),
                    {110, 143, 993});
  DedupBitmap seen(space);
  CHECK(seen.Insert(0xC6120005, 143) == DedupBitmap::kNew);
  CHECK(seen.Insert(0xC6120005, 143) == DedupBitmap::kDuplicate);
  CHECK(seen.Insert(0xC6120005, 110) == DedupBitmap::kNew);
  CHECK(seen.Insert(0xC613000F, 993) == DedupBitmap::kNew);
  CHECK(seen.Insert(0xC6130010, 993) == DedupBitmap::kOutside);  // past the second range
  CHECK(seen.Insert(0xC6120100, 110) == DedupBitmap::kOutside);  // in the gap
  CHECK(seen.Insert(0xC6120005, 25) == DedupBitmap::kOutside);   // port not swept
  CHECK(seen.Insert(0x01020304, 110) == DedupBitmap::kOutside);
  CHECK(seen.Contains(0xC6120005, 143));
  CHECK_FALSE(seen.Contains(0xC6120006, 143));
}

TEST_CASE("DedupBitmap index agrees with TargetSpace::At", "[dedup]") {
  TargetSpace space(IntervalSet({{10, 20}, {100, 5000}, {70000, 70100}}), {25, 110, 143, 587});
  DedupBitmap seen(space);
  for (uint64_t i = 0; i < space.size(); ++i) {
    const targets::Target t = space.At(i);
    REQUIRE(seen.IndexOf(t.address, t.port) == i);
  }
}

TEST_CASE("DedupBitmap allocates pages only where replies land", "[dedup]") {
  // A /8 x 4 ports: 2^26 bits = 8 MiB if fully allocated.
  TargetSpace space(IntervalSet({{0x2D000000, 0x2DFFFFFF}}), {110, 143, 993, 995});
  DedupBitmap seen(space);
  CHECK(seen.bytes_allocated() == 0);
  for (uint32_t i = 0; i < 1000; ++i) seen.Insert(0x2D000000 + i, 143);
  CHECK(seen.pages_allocated() == 1);
  for (uint32_t i = 0; i < 100; ++i) seen.Insert(0x2D000000 + i * 65536, 110);
  CHECK(seen.bytes_allocated() <= 101 * 4096);
}

}  // namespace mailsweep::engine
