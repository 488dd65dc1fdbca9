#include "results/agg/report_table.h"

#include <vector>

#include "base/strings.h"
#include "results/agg/report_text.h"

namespace mailsweep::results {

void PrintReportTable(const Aggregator& agg, FILE* out, int top) {
  const Summary& s = agg.summary();
  fmt::print(out, "mailsweep-agg report: {} file(s), {} probe records, {} sweep records",
             s.files.size(), Grouped(s.read.probe_records), Grouped(s.read.sweep_records));
  if (s.read.corruptions || s.read.torn_tail_bytes) {
    fmt::print(out, "; {} corruption(s), {} bytes dropped, {} torn-tail bytes", s.read.corruptions,
               s.read.dropped_bytes, s.read.torn_tail_bytes);
  }
  fmt::print(out, "\npolicy {}: {}\n\n", PolicyName(s.policy), PolicyDescription(s.policy));
  fmt::print(out, "Hosts without TLS by country (top {})\n", top);
  fmt::print(out, "{:<8}{:>12}{:>12}{:>12}\n", "country", "POP3", "IMAP", "SMTP");
  std::vector<CountryTotal> countries = CountriesByWithoutTls(s);
  int shown = 0;
  for (const CountryTotal& c : countries) {
    if (shown++ >= top || c.total == 0) break;
    fmt::print(out, "{:<8}{:>12}{:>12}{:>12}\n", CountryCode::FromKey(c.country).view(),
               Grouped(c.without_tls[0]), Grouped(c.without_tls[1]), Grouped(c.without_tls[2]));
  }
  fmt::print(out, "{:<8}{:>12}{:>12}{:>12}\n\n", "all", Grouped(s.totals[0].without_tls),
             Grouped(s.totals[1].without_tls), Grouped(s.totals[2].without_tls));
  fmt::print(out, "Hosts per protocol and class\n{:<24}{:>12}{:>12}{:>12}\n", "class", "POP3",
             "IMAP", "SMTP");
  for (int c = 0; c < kHostClassCount; ++c) {
    fmt::print(out, "{:<24}{:>12}{:>12}{:>12}\n", HostClassName(static_cast<HostClass>(c)),
               Grouped(s.totals[0].classes[c]), Grouped(s.totals[1].classes[c]),
               Grouped(s.totals[2].classes[c]));
  }
  fmt::print(out, "{:<24}{:>12}{:>12}{:>12}\n", StrCat("without TLS (", PolicyName(s.policy), ")"),
             Grouped(s.totals[0].without_tls), Grouped(s.totals[1].without_tls),
             Grouped(s.totals[2].without_tls));
}

}  // namespace mailsweep::results
