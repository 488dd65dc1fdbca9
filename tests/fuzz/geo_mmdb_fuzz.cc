// libFuzzer target for MaxMind DB files (results::GeoDb::OpenMmdb and AsnDb::Open on a ".mmdb"
// path, through libmaxminddb): any bytes as a database, then lookups.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "results/agg/geo.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailsweep;
  fuzz::MemoryFile file(data, size);
  constexpr uint32_t kProbes[] = {0, 1, 0x08080808, 0xC6120101, 0x7F000001, 0xFFFFFFFF};
  if (auto geo = results::GeoDb::OpenMmdb(file.path()); geo.ok()) {
    for (uint32_t a : kProbes) {
      results::CountryCode c = (*geo)->Country(a);
      fuzz::Check(results::CountryCode::From(c.view()) == c,
                  "a country is two letters or ZZ");
    }
    (void)(*geo)->Describe();
  }
  return 0;
}
