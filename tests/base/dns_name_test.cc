#include "base/dns_name.h"

#include <catch2/catch.hpp>
#include <string>

namespace mailsweep {
namespace {

TEST_CASE("IsDnsName accepts host names and refuses the rest") {
  for (const char* ok : {"mail.example.org", "MX1.Example.COM", "localhost", "_imaps._tcp.example",
                         "*.example", "a-b.c_d.example", "1.example", "xn--mil-ila.example"}) {
    CHECK(IsDnsName(ok));
  }
  for (const char* bad :
       {"", ".", "example.", ".example", "mail..example", "mail example", "192.0.2.1", "10",
        "m\xc3\xa4il.example", "mail.example\n", "mail/example", "[2001:db8::1]", "mail,example"}) {
    CHECK_FALSE(IsDnsName(bad));
  }
  CHECK(IsDnsName(std::string(63, 'a') + ".example"));
  CHECK_FALSE(IsDnsName(std::string(64, 'a') + ".example"));
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  long_name += "ab";
  CHECK(long_name.size() == 252);
  CHECK(IsDnsName(long_name));
  CHECK_FALSE(IsDnsName(long_name + "cd"));
}

}  // namespace
}  // namespace mailsweep
