// base/strings.h: concatenation of every kind of piece, and lower-case hex.
#include "base/strings.h"

#include <array>
#include <catch2/catch.hpp>

namespace mailsweep {
namespace {

TEST_CASE("strings: StrCat takes strings, views of both kinds, chars and integers") {
  std::string s = StrCat("a", std::string("b"), std::string_view("c"), absl::string_view("d"),
                         '-', 42, -7, uint64_t{18446744073709551615ull});
  CHECK(s == "abcd-42-718446744073709551615");
  StrAppend(&s, "/", 0);
  CHECK(s == "abcd-42-718446744073709551615/0");
}

TEST_CASE("strings: HexLower") {
  const std::array<uint8_t, 4> b = {0x00, 0x0f, 0xab, 0xff};
  CHECK(HexLower(b) == "000fabff");
  CHECK(HexLower(std::span<const uint8_t>()).empty());
}

}  // namespace
}  // namespace mailsweep
