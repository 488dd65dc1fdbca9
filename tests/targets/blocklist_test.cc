#include "targets/blocklist.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

namespace mailsweep::targets {
namespace {

uint32_t Ip(const char* text) { return *ParseIpv4(text); }

// A temporary file holding `content`, removed when the guard goes.
struct TempFile {
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/mailsweep-blocklist-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    path = tmpl;
    std::ofstream(path) << content;
  }
  ~TempFile() { unlink(path.c_str()); }
  std::string path;
};

TEST_CASE("Blocklist: the reserved ranges apply unless lifted", "[blocklist]") {
  std::vector<std::string> notes;
  auto b = Blocklist::Build({}, {}, &notes);
  REQUIRE(b.ok());
  for (const char* ip : {"0.0.0.1", "10.1.2.3", "127.0.0.1", "198.18.3.4", "192.0.2.1",
                         "224.0.0.1", "255.255.255.255"}) {
    INFO(ip);
    CHECK(b->reserved().Contains(Ip(ip)));
    CHECK(b->all().Contains(Ip(ip)));
  }
  CHECK_FALSE(b->all().Contains(Ip("8.8.8.8")));
  CHECK(notes.empty());

  auto lab = Blocklist::Build({}, {"198.18.0.0/15"}, &notes);
  REQUIRE(lab.ok());
  CHECK_FALSE(lab->all().Contains(Ip("198.18.3.4")));
  CHECK_FALSE(lab->all().Contains(Ip("198.19.255.255")));
  CHECK(lab->all().Contains(Ip("192.0.2.1")));  // another benchmark/TEST-NET range: not lifted
  CHECK(lab->all().Contains(Ip("10.1.2.3")));
  CHECK(lab->reserved().Count() + (uint64_t{1} << 17) == b->reserved().Count());
}

TEST_CASE("Blocklist: -b files add to the reserved ranges", "[blocklist]") {
  TempFile file("# opt-outs\n203.0.113.7\n1.2.3.0/24\n2001:db8::/32\n");
  std::vector<std::string> notes;
  auto b = Blocklist::Build({file.path}, {"203.0.113.0/24"}, &notes);
  REQUIRE(b.ok());
  CHECK(b->all().Contains(Ip("203.0.113.7")));  // lifted from reserved, but the file names it
  CHECK_FALSE(b->reserved().Contains(Ip("203.0.113.7")));
  CHECK_FALSE(b->all().Contains(Ip("203.0.113.8")));
  CHECK(b->all().Contains(Ip("1.2.3.255")));
  CHECK_FALSE(b->reserved().Contains(Ip("1.2.3.4")));
  CHECK_FALSE(b->all().Contains(Ip("1.2.4.0")));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("IPv6") != std::string::npos);
}

TEST_CASE("Blocklist: errors name the file or flag; a lift of nothing is noted", "[blocklist]") {
  std::vector<std::string> notes;
  auto missing = Blocklist::Build({"/nonexistent/blocklist.txt"}, {}, &notes);
  REQUIRE_FALSE(missing.ok());
  CHECK(std::string(missing.status().message()).find("/nonexistent/blocklist.txt") !=
        std::string::npos);

  TempFile bad("10.0.0.300/8\n");
  auto broken = Blocklist::Build({bad.path}, {}, &notes);
  REQUIRE_FALSE(broken.ok());
  CHECK(std::string(broken.status().message()).find(":1:") != std::string::npos);

  auto flag = Blocklist::Build({}, {"10.0.0.0/33"}, &notes);
  REQUIRE_FALSE(flag.ok());
  CHECK(std::string(flag.status().message()).find("--allow-reserved") != std::string::npos);

  auto nothing = Blocklist::Build({}, {"8.8.8.0/24"}, &notes);
  REQUIRE(nothing.ok());
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("changes nothing") != std::string::npos);
}

}  // namespace
}  // namespace mailsweep::targets
