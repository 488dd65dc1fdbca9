// The outputs of `mailsweep-agg report`, from an Aggregator that has Run(): the stdout table,
// summary.csv, summary.json, ShadowServer-named per-host CSVs (exactly ShadowServer's columns in
// their order) and a self-contained report.html with SVG charts. Single-threaded.
//
// Example:
//   PrintReportTable(agg, stdout);
//   MAILSWEEP_RETURN_IF_ERROR(WriteReportFiles(agg, "out/", "2026-11-29"));
#ifndef MAILSWEEP_RESULTS_AGG_REPORT_OUTPUT_H_
#define MAILSWEEP_RESULTS_AGG_REPORT_OUTPUT_H_

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "results/agg/aggregator.h"

namespace mailsweep::results {

// ShadowServer's per-host report columns for "pop3", "imap" or "smtp" (the vulnerable variants
// have the same columns).
const std::vector<std::string_view>& ShadowServerColumns(int protocol);

void PrintReportTable(const Aggregator& agg, FILE* out, int top_countries = 15);
std::string SummaryCsv(const Summary& s);
std::string SummaryJson(const Summary& s);
std::string ReportHtml(const Summary& s);
// Rows of `<date>-scan_<protocol>[_vulnerable].csv`, header line included, handed to `sink` in
// pieces of about 1 MiB (memory stays small however many hosts there are), or as one string.
void ShadowServerCsv(const Aggregator& agg, int protocol, bool vulnerable,
                     const std::function<void(std::string_view)>& sink);
std::string ShadowServerCsv(const Aggregator& agg, int protocol, bool vulnerable);

// Writes summary.csv, summary.json, report.html and, with per_host_csvs, the six per-host CSVs
// into `dir` (created when missing). `date` is YYYY-MM-DD, the prefix of the per-host files.
// Without per-host details (AggregateOptions::collect_hosts false) pass per_host_csvs = false:
// header-only files would read as "no such hosts".
absl::Status WriteReportFiles(const Aggregator& agg, const std::string& dir,
                              const std::string& date, bool per_host_csvs = true);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_REPORT_OUTPUT_H_
