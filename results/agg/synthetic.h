// Synthetic probe records for tests and benchmarks: hosts in a base range whose sub-blocks are
// assigned to countries in published proportions (US ~30%, DE ~15%, PL ~10%, ...), each host
// with one of the lab's mail profiles (starttls, plain, implicit, legacy), one probe record per
// mail port, written port by port in a scattered host order like a real sweep. Also returns the
// geo CSV and the expected roll-up. Not for production use. Single-threaded.
//
// Example:
//   SyntheticOptions o{.hosts = 1000};
//   SyntheticTruth truth;
//   MAILSWEEP_RETURN_IF_ERROR(WriteSyntheticFile("s.msr", o, &truth));
//   WriteGeo("geo.csv", SyntheticGeoCsv(o));
#ifndef MAILSWEEP_RESULTS_AGG_SYNTHETIC_H_
#define MAILSWEEP_RESULTS_AGG_SYNTHETIC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "results/agg/classification.h"
#include "results/format/records.h"

namespace mailsweep::results {

struct SyntheticOptions {
  uint64_t hosts = 1000;
  uint32_t base = 0xc6120000;  // 198.18.0.0
  uint32_t prefix_len = 15;    // the range the countries share; hosts must fit
  uint64_t seed = 1;
  // Profile shares (the rest is "legacy"): starttls, plain, implicit.
  double starttls = 0.45, plain = 0.35, implicit = 0.10;
  bool sweeps = false;  // also write the sweep record of every (host, port) before its probe
};

enum class SyntheticProfile : uint8_t { kStartTls, kPlain, kImplicit, kLegacy };

struct SyntheticTruth {
  uint64_t records = 0;
  // (country "US", protocol index) -> hosts per class
  std::map<std::pair<std::string, int>, std::array<uint64_t, kHostClassCount>> counts;
  std::array<uint64_t, kMailProtocols> without_tls{};  // shadowserver policy
};

// Country ranges as "first_ip,last_ip,country" lines.
std::string SyntheticGeoCsv(const SyntheticOptions& o);
std::string SyntheticCountry(const SyntheticOptions& o, uint32_t address);
// The i-th host's address and profile.
uint32_t SyntheticAddress(const SyntheticOptions& o, uint64_t i);
SyntheticProfile SyntheticProfileOf(const SyntheticOptions& o, uint32_t address);
// The probe record of (host, port) for its profile.
ProbeRecord SyntheticProbe(const SyntheticOptions& o, uint32_t address, uint16_t port,
                           int64_t time_us);

absl::Status WriteSyntheticFile(const std::string& path, const SyntheticOptions& o,
                                SyntheticTruth* truth);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_SYNTHETIC_H_
