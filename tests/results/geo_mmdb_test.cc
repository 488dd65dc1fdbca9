// The MaxMind DB path of GeoDb against libmaxminddb, on databases written by mmdb_writer.h in
// both layouts (ip-location-db and GeoLite2), and the aggregator using one.
#include <catch2/catch.hpp>

#include "results/geo.h"
#include "tests/results/mmdb_writer.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::MmdbWriter;
using testing::TempDir;
using testing::WriteAll;

TEST_CASE("geo: MMDB lookups through libmaxminddb in both layouts, unknown is ZZ") {
  for (bool geolite : {false, true}) {
    TempDir dir;
    MmdbWriter w(geolite);
    w.Add(0xc6120000, 16, "US");  // 198.18.0.0/16
    w.Add(0xc6130000, 17, "de");  // 198.19.0.0/17 (lower case is normalised)
    w.Add(0x08080800, 24, "US");  // 8.8.8.0/24
    WriteAll(dir.File("t.mmdb"), w.Build());
    auto geo = GeoDb::Open(dir.File("t.mmdb"));
    REQUIRE(geo.ok());
    CHECK((*geo)->Country(0xc6120001).view() == "US");
    CHECK((*geo)->Country(0xc612ffff).view() == "US");
    CHECK((*geo)->Country(0xc6130000).view() == "DE");
    CHECK((*geo)->Country(0xc6137fff).view() == "DE");
    CHECK((*geo)->Country(0xc6138000).view() == "ZZ");
    CHECK((*geo)->Country(0x08080808).view() == "US");
    CHECK((*geo)->Country(0x01010101).view() == "ZZ");
    CHECK((*geo)->Describe().find("mailsweep-test-country") != std::string::npos);
  }
}

TEST_CASE("geo: ASN from an MMDB and from CSV ranges, unknown is 0") {
  TempDir dir;
  MmdbWriter w(true);
  w.AddAsn(0xc6120000, 16, 64500);
  w.AddAsn(0xc6130000, 16, 4200000001u);
  WriteAll(dir.File("asn.mmdb"), w.Build());
  auto mmdb = AsnDb::Open(dir.File("asn.mmdb"));
  REQUIRE(mmdb.ok());
  CHECK((*mmdb)->Asn(0xc6120005) == 64500);
  CHECK((*mmdb)->Asn(0xc6130005) == 4200000001u);
  CHECK((*mmdb)->Asn(0x01010101) == 0);
  auto csv = AsnDb::FromCsvText(
      "198.18.0.0,198.18.255.255,64500,Example Org\n"
      "198.19.0.0,198.19.0.255,AS64501\n");
  REQUIRE(csv.ok());
  CHECK((*csv)->Asn(0xc6120005) == 64500);
  CHECK((*csv)->Asn(0xc6130005) == 64501);
  CHECK((*csv)->Asn(0xc6130105) == 0);
}

TEST_CASE("geo: a broken MMDB file is an error, not a crash") {
  TempDir dir;
  WriteAll(dir.File("bad.mmdb"), "this is not a maxmind database");
  auto geo = GeoDb::Open(dir.File("bad.mmdb"));
  CHECK_FALSE(geo.ok());
  CHECK_FALSE(GeoDb::Open(dir.File("missing.csv")).ok());
}

}  // namespace
}  // namespace mailsweep::results
