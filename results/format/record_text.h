// Text forms of records, for `mailsweep-agg dump` and the text outputs of `mailsweep probe`,
// `scan` and `sweep` (one JSON schema for all): JSON lines with field names close to ZGrab2's
// (probe records) and ZMap's (sweep records), and one CSV schema for both kinds (dump's).
// Pure functions; thread-safe.
//
// Example:
//   std::string line = ProbeToJson(record);   // {"type":"probe","ip":"198.18.0.7",...}
#ifndef MAILSWEEP_RESULTS_FORMAT_RECORD_TEXT_H_
#define MAILSWEEP_RESULTS_FORMAT_RECORD_TEXT_H_

#include <string>

#include "results/format/records.h"

namespace mailsweep::results {

// ZGrab2's status for an outcome: "success", "connection-timeout", "io-timeout", ...
const char* ZgrabStatus(ProbeOutcome o);
// Names of the set ProbeFlag bits ("starttls_advertised", ...), joined by `separator`.
std::string FlagNames(uint32_t flags, const char* separator);

std::string SweepToJson(const SweepRecord& r);
std::string ProbeToJson(const ProbeRecord& r);
// Appends the certificate facts as a JSON object (the `tls.certificate` of ProbeToJson).
void AppendCertificateJson(std::string* out, const CertificateFacts& c);

const char* kRecordCsvHeader();
std::string SweepToCsv(const SweepRecord& r);
std::string ProbeToCsv(const ProbeRecord& r);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_RECORD_TEXT_H_
