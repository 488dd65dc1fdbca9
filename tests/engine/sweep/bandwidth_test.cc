#include "engine/sweep/bandwidth.h"

#include <catch2/catch.hpp>

namespace mailsweep::engine {
namespace {

TEST_CASE("ParseBandwidth and RateForBandwidth", "[token_bucket]") {
  double bps = 0;
  REQUIRE(ParseBandwidth("10M", &bps));
  CHECK(bps == 10e6);
  REQUIRE(ParseBandwidth("1G", &bps));
  CHECK(bps == 1e9);
  REQUIRE(ParseBandwidth("1.5Gbps", &bps));
  CHECK(bps == 1.5e9);
  REQUIRE(ParseBandwidth("500k", &bps));
  CHECK(bps == 5e5);
  REQUIRE(ParseBandwidth("64000", &bps));
  CHECK(bps == 64000);
  CHECK_FALSE(ParseBandwidth("fast", &bps));
  CHECK_FALSE(ParseBandwidth("10X", &bps));
  CHECK_FALSE(ParseBandwidth("-5M", &bps));
  CHECK_FALSE(ParseBandwidth("", &bps));
  CHECK_FALSE(ParseBandwidth("nan", &bps));
  // Finite numbers beyond any link are refused too: the rate derived from them would overflow.
  REQUIRE(ParseBandwidth("10T", &bps));
  CHECK(bps == 10e12);
  CHECK_FALSE(ParseBandwidth("11T", &bps));
  CHECK_FALSE(ParseBandwidth("1e300G", &bps));
  // 1 GbE: 90 bytes per SYN on the wire -> ~1.39 Mpps.
  CHECK(RateForBandwidth(1e9) == Approx(1388888.9));
}

}  // namespace
}  // namespace mailsweep::engine
