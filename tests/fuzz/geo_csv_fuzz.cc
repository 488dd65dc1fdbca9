// libFuzzer target for the CSV country and ASN databases (results::GeoDb, results::AsnDb
// FromCsvText, what `mailsweep-agg report --geo/--asn FILE.csv` reads): any text, then lookups.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "results/agg/geo.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailsweep;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr uint32_t kProbes[] = {0, 1, 0x08080808, 0xC6120101, 0x7F000001, 0xFFFFFFFF};
  if (auto geo = results::GeoDb::FromCsvText(text); geo.ok()) {
    for (uint32_t a : kProbes) {
      results::CountryCode c = (*geo)->Country(a);
      fuzz::Check(results::CountryCode::From(c.view()) == c,
                  "a country is two letters or ZZ");
    }
    (void)(*geo)->Describe();
  }
  if (auto asn = results::AsnDb::FromCsvText(text); asn.ok()) {
    for (uint32_t a : kProbes) (void)(*asn)->Asn(a);
  }
  return 0;
}
