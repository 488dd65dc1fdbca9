// The report files of `mailsweep-agg report` in one directory, from an Aggregator that has
// Run(): summary.csv and summary.json (results/agg/summary_files.h), report.html
// (results/agg/report_html.h) and the ShadowServer-named per-host CSVs
// (results/agg/shadowserver_csv.h). The stdout table is results/agg/report_table.h. Used by
// results/agg/agg_main.cc. Single-threaded.
//
// Example:
//   MAILSWEEP_RETURN_IF_ERROR(WriteReportFiles(agg, "out/", "2026-11-29"));
#ifndef MAILSWEEP_RESULTS_AGG_REPORT_OUTPUT_H_
#define MAILSWEEP_RESULTS_AGG_REPORT_OUTPUT_H_

#include <string>

#include "absl/status/status.h"
#include "results/agg/aggregator.h"

namespace mailsweep::results {

// Checks that `dir` is a directory this process may write into, or (missing) that it can be
// made there: kFailedPrecondition naming what is wrong. Makes nothing. `report` calls it before
// the reading, so that a bad --out fails at once rather than after the roll-up.
absl::Status CheckReportDir(const std::string& dir);

// Writes summary.csv, summary.json, report.html and, with per_host_csvs, the six per-host CSVs
// into `dir` (created when missing). `date` is YYYY-MM-DD, the prefix of the per-host files.
// Without per-host details (AggregateOptions::collect_hosts false) pass per_host_csvs = false:
// header-only files would read as "no such hosts".
absl::Status WriteReportFiles(const Aggregator& agg, const std::string& dir,
                              const std::string& date, bool per_host_csvs = true);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_REPORT_OUTPUT_H_
