// report.html of `mailsweep-agg report`: a self-contained page (no scripts, no external files)
// with SVG charts of hosts without TLS per country, classes per protocol and TLS versions, and
// tables of outcomes and countries. Used by results/agg/report_output.h. A pure function of
// the Summary: any thread.
//
// Example:
//   std::string html = ReportHtml(agg.summary());
#ifndef MAILSWEEP_RESULTS_AGG_REPORT_HTML_H_
#define MAILSWEEP_RESULTS_AGG_REPORT_HTML_H_

#include <string>

#include "results/agg/aggregator.h"

namespace mailsweep::results {

std::string ReportHtml(const Summary& s);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_REPORT_HTML_H_
