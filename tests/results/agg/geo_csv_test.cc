// results/agg/geo.h with CSV databases: ranges, gaps, skipped lines and rejected files.
#include "results/agg/geo.h"

#include <catch2/catch.hpp>

namespace mailsweep::results {
namespace {

TEST_CASE("geo: CSV ranges, gaps are ZZ, IPv6 lines and a header are skipped") {
  auto geo = GeoDb::FromCsvText(
      "first_ip,last_ip,country\n198.18.0.0,198.18.0.255,US\n::1,::2,DE\n"
      "198.18.2.0,198.18.2.9,de\n");
  REQUIRE(geo.ok());
  CHECK((*geo)->Country(0xc6120000).view() == "US");
  CHECK((*geo)->Country(0xc61200ff).view() == "US");
  CHECK((*geo)->Country(0xc6120100).view() == "ZZ");
  CHECK((*geo)->Country(0xc6120205).view() == "DE");
  CHECK((*geo)->Country(0xc612020a).view() == "ZZ");
  CHECK((*geo)->Country(0).view() == "ZZ");
  CHECK_FALSE(GeoDb::FromCsvText("1.2.3.4,1.2.3.0,US\n").ok());
  CHECK_FALSE(GeoDb::FromCsvText("a\nb,c,d\n").ok());
  CHECK_FALSE(GeoDb::FromCsvText("1.0.0.0,1.0.0.9,US\n1.0.0.5,1.0.0.20,DE\n").ok());
}

}  // namespace
}  // namespace mailsweep::results
