// What the roll-up knows of one host x protocol: a HostRow (its class, country, the port that
// describes it and the port where TLS worked), each port's latest probe as a PortObs, and
// SortHostRows(), the order the per-host outputs list rows in. Built by the join
// (results/agg/partition_join.h), handed out by Aggregator::hosts() (results/agg/aggregator.h),
// written by results/agg/report_output.h. Plain values; PortObs string ids resolve through
// Aggregator::Banner/Cipher/Certificate.
#ifndef MAILSWEEP_RESULTS_AGG_HOST_ROW_H_
#define MAILSWEEP_RESULTS_AGG_HOST_ROW_H_

#include <cstdint>
#include <vector>

#include "results/agg/classification.h"
#include "results/agg/geo.h"

namespace mailsweep::results {

// A probe's time as both roll-up paths compare it: whole Unix seconds, so that with and without
// per-host details the same probe of a port is the latest (a finer unit on one path alone made
// the two disagree about probes less than a second apart).
inline uint32_t ObsTime(int64_t start_us) { return static_cast<uint32_t>(start_us / 1000000); }

// The latest probe of one (address, port), packed so that a host x protocol (three ports and
// its key) fits one cache line. Strings and certificates are ids into the reading worker's
// pools (0: none; a pool that reaches 2^24 entries, or 2^16 ciphers, stops adding and new
// values read as none). All zero bytes = no probe.
struct __attribute__((packed)) PortObs {
  uint32_t time_s = 0;  // ObsTime(): Unix seconds
  uint32_t banner : 24 = 0;
  uint32_t version_code : 8 = 0;  // see TlsVersionCode()
  uint32_t cert : 24 = 0;
  uint32_t outcome : 8 = 0;
  uint16_t flags = 0;  // ProbeFlag bits 0..15
  uint16_t cipher = 0;
  uint8_t worker_plus_one = 0;  // the reading worker + 1; 0: absent

  bool present() const { return worker_plus_one != 0; }
  int worker() const { return worker_plus_one - 1; }
  uint16_t tls_version() const;
};
static_assert(sizeof(PortObs) == 17);

// Wire version <-> a small code: 0 none, 1 SSLv3, 2..5 TLS 1.0..1.3, 6 other.
uint8_t TlsVersionCode(uint16_t version);


struct HostRow {
  uint32_t address = 0;
  int protocol = 0;  // 0 pop3, 1 imap, 2 smtp
  HostClass cls = HostClass::kNoService;
  bool without_tls = false;
  CountryCode country;
  uint32_t asn = 0;       // 0: unknown
  uint16_t port = 0;      // the port the row describes (the plaintext one when it answers)
  PortObs obs;            // its probe
  uint16_t tls_port = 0;  // where TLS worked (0: nowhere)
  PortObs tls_obs;
};

// Sorts host rows by (address, protocol).
void SortHostRows(std::vector<HostRow>* rows);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_HOST_ROW_H_
