#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "results/agg/geo.h"

namespace mailsweep::results {
namespace {

// An empty or wrong file named with --geo/--asn is refused, never read as "everything is ZZ".
TEST_CASE("geo: an empty database, a directory or a file without ranges is refused") {
  char path[] = "/tmp/mailsweep-geo-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  for (const char* content : {"", "# only a comment\n", "\n\n"}) {
    INFO(content);
    std::ofstream(path, std::ios::trunc) << content;
    auto geo = GeoDb::Open(path);
    REQUIRE_FALSE(geo.ok());
    CHECK(std::string(geo.status().message()).find("no IPv4 ranges") != std::string::npos);
    auto asn = AsnDb::Open(path);
    REQUIRE_FALSE(asn.ok());
  }
  std::ofstream(path, std::ios::trunc) << "198.18.0.0,198.18.255.255,NL\n";
  auto geo = GeoDb::Open(path);
  unlink(path);
  REQUIRE(geo.ok());
  CHECK((*geo)->Country(0xC6120101).view() == "NL");

  auto dir = GeoDb::Open("/tmp");
  REQUIRE_FALSE(dir.ok());
  CHECK(std::string(dir.status().message()).find("directory") != std::string::npos);
  auto asn_dir = AsnDb::Open("/tmp");
  REQUIRE_FALSE(asn_dir.ok());
}

}  // namespace
}  // namespace mailsweep::results
