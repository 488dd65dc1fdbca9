#include "targets/range_list.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "base/strings.h"

namespace mailsweep::targets {
namespace {

TEST_CASE("ParseRangeList skips comments and blank lines") {
  auto list = ParseRangeList(
      "# opt-out list\n\n192.0.2.0/24   # our lab\n  198.51.100.7\n203.0.113.1-203.0.113.5\r\n",
      "x.txt");
  REQUIRE(list.ok());
  CHECK(list->ranges == std::vector<Ipv4Range>{{0xc0000200u, 0xc00002ffu},
                                               {0xc6336407u, 0xc6336407u},
                                               {0xcb007101u, 0xcb007105u}});
  CHECK(list->warnings.empty());
}

TEST_CASE("ParseRangeList skips IPv6 lines with a warning naming file and line") {
  auto list = ParseRangeList("192.0.2.1\n2001:db8::/32\n", "list.txt");
  REQUIRE(list.ok());
  CHECK(list->ranges.size() == 1);
  REQUIRE(list->warnings.size() == 1);
  CHECK(list->warnings[0] == "list.txt:2: skipped IPv6 entry '2001:db8::/32'");
}

TEST_CASE("ParseRangeList errors name the file, the line and the token") {
  auto bad = ParseRangeList("192.0.2.0/24\n# fine\n10.0.0.300/8\n", "block.txt");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string msg(bad.status().message());
  CHECK(msg.rfind("block.txt:3: ", 0) == 0);
  CHECK(msg.find("10.0.0.300/8") != std::string::npos);

  auto two = ParseRangeList("192.0.2.1 192.0.2.2\n", "two.txt");
  REQUIRE_FALSE(two.ok());
  CHECK(std::string(two.status().message()).rfind("two.txt:1: ", 0) == 0);
}

TEST_CASE("ReadRangeListFile reports unreadable paths clearly") {
  auto missing = ReadRangeListFile("/nonexistent/blocklist.txt");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(missing.status().message().find("/nonexistent/blocklist.txt") != std::string_view::npos);

  auto dir = ReadRangeListFile("/tmp");
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.status().message().find("directory") != std::string_view::npos);

  char path[] = "/tmp/mailsweep-range-list-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << "192.0.2.0/30\nbogus\n";
  auto parsed = ReadRangeListFile(path);
  unlink(path);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message().find(std::string(path) + ":2: ") != std::string_view::npos);
}

TEST_CASE("Range lists are bounded: a line without end is refused, a long token cut") {
  auto zero = ReadRangeListFile("/dev/zero");
  REQUIRE_FALSE(zero.ok());
  CHECK(std::string(zero.status().message()) ==
        "/dev/zero:1: a line longer than 4096 bytes; is this a list of addresses?");

  const std::string junk(100000, 'z');
  auto long_token = ParseRangeList("192.0.2.1\n" + junk + "\n", "junk.txt");
  REQUIRE_FALSE(long_token.ok());
  CHECK(long_token.status().message().size() < 300);

  auto at_cap = ParseRangeList(std::string(4096 - 9, ' ') + "192.0.2.1\n", "cap.txt");
  REQUIRE(at_cap.ok());
  CHECK(at_cap->ranges.size() == 1);
}

TEST_CASE("ReadRangeListFile reads lines across its read blocks as ParseRangeList does") {
  std::string text;
  for (uint32_t i = 0; i < 30000; ++i) {  // ~400 KiB: lines cross every 64 KiB block boundary
    StrAppend(&text, "10.", (i >> 8) & 255, ".", i & 255, ".0/24", i % 7 == 0 ? "  # c\n" : "\n");
  }
  text += "192.0.2.7";  // a last line without '\n'
  char path[] = "/tmp/mailsweep-range-list-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  auto file = ReadRangeListFile(path);
  unlink(path);
  auto direct = ParseRangeList(text, "text");
  REQUIRE(file.ok());
  REQUIRE(direct.ok());
  CHECK(file->ranges == direct->ranges);
  CHECK(file->ranges.size() == 30001);
}

}  // namespace
}  // namespace mailsweep::targets
