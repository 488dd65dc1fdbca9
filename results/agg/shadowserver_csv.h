// The per-host CSVs of `mailsweep-agg report`: `<date>-scan_<protocol>[_vulnerable].csv`, one
// row per host x protocol from Aggregator::hosts(), with exactly ShadowServer's columns in
// their order (columns we do not know stay empty). Used by results/agg/report_output.h.
// Single-threaded: reads the Aggregator after Run().
//
// Example:
//   ShadowServerCsv(agg, /*protocol=*/0, /*vulnerable=*/true, [&](std::string_view piece) {
//     out.write(piece.data(), piece.size());
//   });
#ifndef MAILSWEEP_RESULTS_AGG_SHADOWSERVER_CSV_H_
#define MAILSWEEP_RESULTS_AGG_SHADOWSERVER_CSV_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "results/agg/aggregator.h"

namespace mailsweep::results {

// ShadowServer's per-host report columns for "pop3", "imap" or "smtp" (the vulnerable variants
// have the same columns).
const std::vector<std::string_view>& ShadowServerColumns(int protocol);

// Rows of `<date>-scan_<protocol>[_vulnerable].csv`, header line included, handed to `sink` in
// pieces of about 1 MiB (memory stays small however many hosts there are), or as one string.
void ShadowServerCsv(const Aggregator& agg, int protocol, bool vulnerable,
                     const std::function<void(std::string_view)>& sink);
std::string ShadowServerCsv(const Aggregator& agg, int protocol, bool vulnerable);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_SHADOWSERVER_CSV_H_
