#include "results/agg/report_text.h"

#include <algorithm>
#include <map>

namespace mailsweep::results {

std::string Grouped(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::vector<CountryTotal> CountriesByWithoutTls(const Summary& s) {
  std::map<uint16_t, CountryTotal> by;
  for (const auto& [key, c] : s.counts) {
    auto cc = static_cast<uint16_t>(key >> 8);
    CountryTotal& t = by[cc];
    t.country = cc;
    t.without_tls[key & 0xff] += c.without_tls;
    t.total += c.without_tls;
  }
  std::vector<CountryTotal> out;
  for (auto& [cc, t] : by) out.push_back(t);
  std::stable_sort(out.begin(), out.end(),
                   [](const CountryTotal& a, const CountryTotal& b) { return a.total > b.total; });
  return out;
}

}  // namespace mailsweep::results
