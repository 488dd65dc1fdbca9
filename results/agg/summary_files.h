// The summary files of `mailsweep-agg report`: summary.csv (country,protocol,class,hosts, and
// the policy's count as class without_tls) and summary.json (the same counts with totals, TLS
// versions, outcomes, files and corruption). Used by results/agg/report_output.h. Pure
// functions of the Summary: any thread.
//
// Example:
//   std::string csv = SummaryCsv(agg.summary());
#ifndef MAILSWEEP_RESULTS_AGG_SUMMARY_FILES_H_
#define MAILSWEEP_RESULTS_AGG_SUMMARY_FILES_H_

#include <string>

#include "results/agg/aggregator.h"

namespace mailsweep::results {

std::string SummaryCsv(const Summary& s);
std::string SummaryJson(const Summary& s);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_SUMMARY_FILES_H_
