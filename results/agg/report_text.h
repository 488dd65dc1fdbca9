// Text pieces the roll-up's report outputs share: protocol and TLS version labels, numbers
// with thousands separators, and the countries ranked by hosts without TLS. Used by
// results/agg/report_table.h, summary_files.h, report_html.h, shadowserver_csv.h and
// report_output.h. Pure functions of their arguments: any thread.
//
// Example:
//   for (const CountryTotal& c : CountriesByWithoutTls(summary)) ... Grouped(c.total) ...
#ifndef MAILSWEEP_RESULTS_AGG_REPORT_TEXT_H_
#define MAILSWEEP_RESULTS_AGG_REPORT_TEXT_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "results/agg/aggregator.h"
#include "results/agg/classification.h"

namespace mailsweep::results {

inline constexpr const char* kProtocolNames[kMailProtocols] = {"pop3", "imap", "smtp"};
inline constexpr const char* kProtocolLabels[kMailProtocols] = {"POP3", "IMAP", "SMTP"};
// Labels of Summary::tls_versions' buckets.
inline constexpr const char* kVersionLabels[6] = {"SSLv3",   "TLS 1.0", "TLS 1.1",
                                                  "TLS 1.2", "TLS 1.3", "other"};

// 1,234,567.
std::string Grouped(uint64_t v);

// The hosts without TLS of one country, per protocol and in all.
struct CountryTotal {
  uint16_t country;  // CountryCode::key()
  std::array<uint64_t, kMailProtocols> without_tls{};
  uint64_t total = 0;
};
// Every country of `s`, most hosts without TLS first (ties in country key order).
std::vector<CountryTotal> CountriesByWithoutTls(const Summary& s);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_REPORT_TEXT_H_
