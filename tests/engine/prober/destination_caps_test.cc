// engine::DestinationCaps: the per-address and per-/24 caps, targets held under their /24 and
// freed in order when a connection there ends, and DropAll's count.
#include "engine/prober/destination_caps.h"

#include <catch2/catch.hpp>

namespace mailsweep::engine {
namespace {

constexpr uint32_t kA = 0xC6120101;  // 198.18.1.1
constexpr uint32_t kB = 0xC6120102;  // 198.18.1.2, the same /24
constexpr uint32_t kC = 0xC6120201;  // 198.18.2.1, another /24

TEST_CASE("DestinationCapsHoldPerAddressAndPer24") {
  DestinationCaps caps(2, 3);
  caps.Opened(kA);
  caps.Opened(kA);
  CHECK_FALSE(caps.Allow(kA));  // two to 198.18.1.1
  CHECK(caps.Allow(kB));
  caps.Opened(kB);
  CHECK_FALSE(caps.Allow(kB));  // three in 198.18.1.0/24
  CHECK(caps.Allow(kC));
  caps.Closed(kA);
  CHECK(caps.Allow(kA));
  CHECK(caps.Allow(kB));
  DestinationCaps none(0, 0);
  for (int i = 0; i < 100; ++i) none.Opened(kA);
  CHECK(none.Allow(kA));
}

TEST_CASE("DestinationCapsFreeTheFirstHeldTargetOfThe24ThatFits") {
  DestinationCaps caps(1, 0);
  caps.Opened(kA);
  caps.Hold(ProbeTarget{kA, 110});
  caps.Hold(ProbeTarget{kA, 143});
  caps.Hold(ProbeTarget{kC, 25});
  CHECK(caps.held() == 3);
  ProbeTarget t;
  CHECK_FALSE(caps.PopReady(&t));
  caps.Closed(kA);  // frees one of 198.18.1.0/24; 198.18.2.1's target waits for its own /24
  REQUIRE(caps.PopReady(&t));
  CHECK(t.address == kA);
  CHECK(t.port == 110);  // in the order they were held
  CHECK(caps.held() == 2);
  CHECK(caps.waiting() == 2);
  CHECK_FALSE(caps.has_ready());
}

TEST_CASE("DestinationCapsDropAllCountsAndForgetsEveryWaitingTarget") {
  DestinationCaps caps(1, 0);
  caps.Opened(kA);
  caps.Hold(ProbeTarget{kA, 110, TargetName("mail.example")});
  caps.Hold(ProbeTarget{kA, 143});
  caps.Closed(kA);  // one becomes ready, one stays held
  CHECK(caps.waiting() == 2);
  CHECK(caps.DropAll() == 2);
  CHECK(caps.waiting() == 0);
  ProbeTarget t;
  CHECK_FALSE(caps.PopReady(&t));
}

}  // namespace
}  // namespace mailsweep::engine
