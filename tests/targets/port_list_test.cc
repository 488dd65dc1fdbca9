#include "targets/port_list.h"

#include <catch2/catch.hpp>

namespace mailsweep::targets {
namespace {

TEST_CASE("ParsePortList reads lists and ranges, keeps order and drops duplicates") {
  CHECK(*ParsePortList("110") == std::vector<uint16_t>{110});
  CHECK(*ParsePortList("143,110,143") == std::vector<uint16_t>{143, 110});
  CHECK(*ParsePortList("993-995,25") == std::vector<uint16_t>{993, 994, 995, 25});
  CHECK(ParsePortList("1-65535")->size() == 65535);
  CHECK(FormatPortList(*ParsePortList("25,110-111")) == "25,110,111");
}

TEST_CASE("ParsePortList rejects port 0, out of range, empty items and backward ranges") {
  for (const char* bad :
       {"", "0", "65536", "110,", ",110", "abc", "995-993", "1-2-3", "-5", "11 0"}) {
    INFO(bad);
    auto p = ParsePortList(bad);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mailsweep::targets
