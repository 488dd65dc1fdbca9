// The verdict on one host x protocol, looked up instead of computed: it depends only on its
// ports' traits (4 bits each, in kProtocolSlots order; 0 when absent) and whether any was
// observed, so a table per protocol built once from ClassifyTraits and the policy's
// WithoutTlsTraits answers it without branches on the data (classes come in no predictable
// order; branches on them were mispredicted several times per host). Used by the join
// (results/agg/partition_join.h). Immutable after construction: any thread may read it.
//
// Example:
//   const VerdictTable verdicts(Policy::kShadowServer);
//   const uint8_t v = verdicts.At(proto, index);
//   const auto cls = static_cast<HostClass>(v & 7);
#ifndef MAILSWEEP_RESULTS_AGG_VERDICT_TABLE_H_
#define MAILSWEEP_RESULTS_AGG_VERDICT_TABLE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "results/agg/classification.h"

namespace mailsweep::results {

class VerdictTable {
 public:
  explicit VerdictTable(Policy policy);

  // The verdict of protocol `proto` for `index`: bit 4 * ports set when any port was observed,
  // below it each port's traits. A verdict byte holds the class in bits 0-2 (kHostClassCount:
  // not observed), "without TLS" in bit 3, and in bits 4-5 one plus the first port where TLS
  // worked (0: none), whose TLS version is counted.
  uint8_t At(int proto, unsigned index) const { return verdicts_[proto][index]; }

 private:
  std::array<std::vector<uint8_t>, kMailProtocols> verdicts_;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_VERDICT_TABLE_H_
