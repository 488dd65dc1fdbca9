// results/agg/host_row.h: the TLS version codes a PortObs keeps, for every 16-bit version.
#include "results/agg/host_row.h"

#include <catch2/catch.hpp>
#include <cstdint>

namespace mailsweep::results {
namespace {

TEST_CASE("host row: TLS version codes for every 16-bit version") {
  for (uint32_t v = 0; v <= 0xffff; ++v) {
    const uint8_t want = v == 0 ? 0 : (v >= 0x0300 && v <= 0x0304) ? v - 0x0300 + 1 : 6;
    REQUIRE(int{TlsVersionCode(static_cast<uint16_t>(v))} == int{want});
  }
}

}  // namespace
}  // namespace mailsweep::results
