// What the prober pool is configured with and what it is fed: ProberOptions (validated once
// at start-up), ProbeTarget (one (address, port), with an optional name) and the helpers that
// own a target's name. Shared by ProberPool, its ProberLoops, the target reader and the commands
// that build options (`probe`, `scan`); a header of its own so that the pool and the loop need
// not include each other. Plain values: no thread rules beyond those of a value.
#ifndef MAILSWEEP_ENGINE_PROBER_PROBER_OPTIONS_H_
#define MAILSWEEP_ENGINE_PROBER_PROBER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "probes/session.h"
#include "probes/tls_client.h"

namespace mailsweep::engine {

struct ProberOptions {
  uint32_t threads = 1;
  uint32_t max_connections = 10000;  // concurrent, all loops together
  // New connections per second, all loops: the ceiling of the adaptive rate (0 = none), or the
  // fixed rate when adaptive_rate is off (0 = unlimited).
  uint32_t connect_rate = 0;
  // The start rate follows the servers' answers as TCP's window does: it grows while connects
  // complete quickly and halves when more than a few in a window are slow (a SYN retransmitted:
  // a full listen queue or a congested path), time out, or are refused or reset before the
  // greeting (see prober_loop.cc, AdaptRate).
  bool adaptive_rate = true;
  uint32_t per_address_cap = 4;  // concurrent connections to one address (0 = no cap)
  uint32_t per_prefix_cap = 64;  // ... to one /24 (0 = no cap)
  // A probe whose outcome is transient (connect timeout, reset before the greeting, service
  // unavailable, no greeting, a read or TLS handshake timeout) is tried again this many times,
  // retry_delay_ms after the attempt ended; the record keeps the last attempt and counts them
  // (ProbeRecord::attempts).
  uint32_t retries = 1;
  uint32_t retry_delay_ms = 3000;
  uint32_t queue_capacity = 1 << 16;  // per loop
  uint32_t connect_timeout_ms = 5000;
  uint32_t read_timeout_ms = 10000;     // each reply, and the TLS handshake
  uint32_t target_timeout_ms = 30000;   // the whole conversation
  uint32_t tls_max_bytes = 256 * 1024;  // ciphertext accepted per target
  uint32_t source_address = 0;          // bind() to this IPv4 (host order); 0 = kernel's choice
  std::string sni;                      // TLS server name; empty = none
  // What Drain() does with connections still in flight at its deadline: true writes their
  // records with what they reached (as on a timeout); false drops them without a record and
  // counts them as abandoned, so a resumed scan probes them again.
  bool record_abandoned = true;
  probes::SessionOptions session;
  probes::TlsOptions tls;
  // Tests only: called on the loop thread each time a connection completes its handshake
  // (before the session starts), so a test can stall the loop on purpose. Empty in production.
  std::function<void()> on_connected_for_test;

  absl::Status Validate() const;
};

// One (address, port) to probe; address in host order. `name`, when not null, is the target's
// name (ZGrab2's domain column): sent as the TLS server name instead of ProberOptions::sni and
// recorded as ProbeRecord::domain. It is a string from NewTargetName(), owned by whoever holds
// the target: a TrySubmit() that returns true takes it, otherwise the caller still owns it.
// (A pointer, not a std::string, keeps ProbeTarget trivially copyable for the hand-off queue
// and eight bytes bigger only.)
struct ProbeTarget {
  uint32_t address;
  uint16_t port;
  char* name = nullptr;
  uint8_t attempt = 0;  // attempts made before this one (retries of transient outcomes)
};
// A heap copy of `name` for ProbeTarget::name (null for an empty name); FreeTargetName(null) is
// a no-op.
char* NewTargetName(std::string_view name);
void FreeTargetName(char* name);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_PROBER_OPTIONS_H_
