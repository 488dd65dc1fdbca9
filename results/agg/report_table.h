// The stdout table of `mailsweep-agg report`: what was read, hosts without TLS by country (the
// top N) and hosts per protocol and class. Used by results/agg/agg_main.cc. Single-threaded:
// reads the Aggregator after Run().
//
// Example:
//   PrintReportTable(agg, stdout);
#ifndef MAILSWEEP_RESULTS_AGG_REPORT_TABLE_H_
#define MAILSWEEP_RESULTS_AGG_REPORT_TABLE_H_

#include <cstdio>

#include "results/agg/aggregator.h"

namespace mailsweep::results {

// `out` is borrowed for the call.
void PrintReportTable(const Aggregator& agg, FILE* out, int top_countries = 15);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_REPORT_TABLE_H_
