#include "engine/cli/sweep_options.h"

#include <catch2/catch.hpp>

namespace mailsweep::engine {

TEST_CASE("Default source ports avoid the kernel's ephemeral range", "[sweep_options]") {
  PortRange r = DefaultSourcePorts(32768, 60999);
  CHECK(r.first == 61000);
  CHECK(r.count == 4536);
  r = DefaultSourcePorts(32768, 65535);  // nothing above: take 1024..32767
  CHECK(r.first == 1024);
  CHECK(r.count == 31744);
  r = DefaultSourcePorts(10000, 65000);  // 535 above, 8976 below
  CHECK(r.first == 1024);
  CHECK(r.count == 8976);
}

TEST_CASE("ParseSourcePorts", "[sweep_options]") {
  auto r = ParseSourcePorts("40000-40999");
  REQUIRE(r.ok());
  CHECK(r->first == 40000);
  CHECK(r->count == 1000);
  r = ParseSourcePorts("5555");
  REQUIRE(r.ok());
  CHECK(r->count == 1);
  CHECK_FALSE(ParseSourcePorts("0-10").ok());
  CHECK_FALSE(ParseSourcePorts("20-10").ok());
  CHECK_FALSE(ParseSourcePorts("1-70000").ok());
  CHECK_FALSE(ParseSourcePorts("a-b").ok());
}

}  // namespace mailsweep::engine
