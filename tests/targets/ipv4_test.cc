#include "targets/ipv4.h"

#include <catch2/catch.hpp>

#include "base/text_format.h"

namespace mailsweep::targets {
namespace {

TEST_CASE("ParseIpv4 accepts strict dotted quads") {
  CHECK(*ParseIpv4("0.0.0.0") == 0u);
  CHECK(*ParseIpv4("255.255.255.255") == 0xffffffffu);
  CHECK(*ParseIpv4("198.18.0.1") == 0xc6120001u);
  CHECK(*ParseIpv4("010.001.0.9") == 0x0a010009u);  // decimal, not octal
}

TEST_CASE("ParseIpv4 rejects everything else") {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4 ", " 1.2.3.4", "1..2.3", "1.2.3.-4",
        "+1.2.3.4", "1.2.3.1234", "a.b.c.d", "1.2.3.4/", "0x1.2.3.4"}) {
    INFO(bad);
    CHECK_FALSE(ParseIpv4(bad).ok());
  }
}

TEST_CASE("ParseIpv4Range reads CIDR blocks, single addresses and ranges") {
  CHECK(*ParseIpv4Range("198.18.0.0/15") == Ipv4Range{0xc6120000u, 0xc613ffffu});
  CHECK(*ParseIpv4Range("0.0.0.0/0") == Ipv4Range{0u, 0xffffffffu});
  CHECK(*ParseIpv4Range("192.0.2.7/32") == Ipv4Range{0xc0000207u, 0xc0000207u});
  CHECK(*ParseIpv4Range("192.0.2.7/24") ==
        Ipv4Range{0xc0000200u, 0xc00002ffu});  // host bits cleared
  CHECK(*ParseIpv4Range("192.0.2.7") == Ipv4Range{0xc0000207u, 0xc0000207u});
  CHECK(*ParseIpv4Range("192.0.2.1-192.0.2.9") == Ipv4Range{0xc0000201u, 0xc0000209u});
  CHECK(ParseIpv4Range("0.0.0.0/0")->size() == (uint64_t{1} << 32));
}

TEST_CASE("ParseIpv4Range errors quote the token") {
  for (const char* bad : {"1.2.3.0/33", "1.2.3.0/-1", "1.2.3.0/x", "1.2.3.0/", "1.2.3.9-1.2.3.1",
                          "1.2.3.4-", "10.0.0.300/8", "example.com",
                          "10.0.0.0/326666672999", "10.0.0.0/08x"}) {
    INFO(bad);
    auto r = ParseIpv4Range(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find(bad) != std::string_view::npos);
  }
}

TEST_CASE("FormatIpv4 and FormatRange print what the parsers read") {
  CHECK(FormatIpv4(0) == "0.0.0.0");
  CHECK(FormatIpv4(0xc6120001u) == "198.18.0.1");
  CHECK(FormatIpv4(0xffffffffu) == "255.255.255.255");
  CHECK(FormatRange({0xc6120000u, 0xc613ffffu}) == "198.18.0.0/15");
  CHECK(FormatRange({0u, 0xffffffffu}) == "0.0.0.0/0");
  CHECK(FormatRange({0xc0000201u, 0xc0000209u}) == "192.0.2.1-192.0.2.9");
  for (uint32_t a : {1u, 0x7f000001u, 0x0a0b0c0du, 0xdeadbeefu}) {
    CHECK(*ParseIpv4(FormatIpv4(a)) == a);
  }
}

TEST_CASE("LooksLikeIpv6 spots IPv6 spellings") {
  CHECK(LooksLikeIpv6("2001:db8::/32"));
  CHECK(LooksLikeIpv6("::1"));
  CHECK_FALSE(LooksLikeIpv6("192.0.2.0/24"));
}

}  // namespace
}  // namespace mailsweep::targets
