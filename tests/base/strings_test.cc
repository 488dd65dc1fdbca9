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

TEST_CASE("strings: Quote cuts long tokens and escapes control bytes") {
  CHECK(Quote("10.0.0.300/8") == "'10.0.0.300/8'");
  CHECK(Quote(std::string_view("a\tb\0\xff", 5)) == "'a\\x09b\\x00\\xff'");
  const std::string huge(1 << 20, 'x');
  const std::string q = Quote(huge);
  CHECK(q == "'" + std::string(64, 'x') + "...' (1048576 bytes)");
  CHECK(Quote("abcdef", 3) == "'abc...' (6 bytes)");
  CHECK(Quote("abc", 3) == "'abc'");
}

}  // namespace
}  // namespace mailsweep
