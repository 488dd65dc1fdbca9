// What the prober pool is configured with and what it is fed: ProberOptions (validated once
// at start-up), ProbeTarget (one (address, port), with an optional name) and TargetName, the
// owner of that name. Shared by ProberPool, its ProberLoops, the target reader and the commands
// that build options (`probe`, `scan`); a header of its own so that the pool and the loop need
// not include each other. Plain values: no thread rules beyond those of a value.
#ifndef MAILSWEEP_ENGINE_PROBER_PROBER_OPTIONS_H_
#define MAILSWEEP_ENGINE_PROBER_PROBER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "probes/session.h"
#include "probes/tls_client.h"
#include "targets/exclusion_overlay.h"

namespace mailsweep::engine {

struct ProberOptions {
  uint32_t threads = 1;
  uint32_t max_connections = 10000;  // concurrent, all loops together
  // What Validate() counts per connection in flight: its slot, session and, in TLS, OpenSSL's
  // state and record buffers. max_connections of them must fit in half of the usable memory.
  static constexpr uint64_t kBytesPerConnection = 32 * 1024;
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
  uint32_t queue_capacity = 1 << 16;  // per loop, at most kMaxQueueCapacity
  static constexpr uint32_t kMaxQueueCapacity = 1 << 24;
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
  // Opt-outs since the start (a scan's SIGHUP): a target in it is not started, not recorded,
  // and counted as opted out. Borrowed; outlives the pool. Null: none.
  const targets::ExclusionOverlay* overlay = nullptr;
  probes::SessionOptions session;
  probes::TlsOptions tls;
  // Tests only: called on the loop thread each time a connection completes its handshake
  // (before the session starts), so a test can stall the loop on purpose. Empty in production.
  std::function<void()> on_connected_for_test;

  absl::Status Validate() const;
};

// A target's name, owned: a heap C string, or none. Movable, not copyable, so that a name has
// one owner at a time and is freed exactly once, whichever path the target takes (the queue,
// a destination cap, a retry, a record, a refusal). One pointer wide, so that ProbeTarget stays
// small; the hand-off queue carries it as a raw pointer between release() and Adopt().
//
// Example:
//   TargetName name("mail.example.org");   // an empty view makes no name
//   if (!name.empty()) record.domain = name.get();
class TargetName {
 public:
  TargetName() = default;
  explicit TargetName(std::string_view name);  // a copy of `name`; none when it is empty
  TargetName(TargetName&&) noexcept = default;
  TargetName& operator=(TargetName&&) noexcept = default;

  bool empty() const { return name_ == nullptr; }
  const char* get() const { return name_.get(); }  // null when empty
  // For the hand-off queue only: gives up the string (the caller must Adopt() it back).
  [[nodiscard]] char* release() { return name_.release(); }
  // Takes ownership of a string an earlier release() gave up (null: none).
  static TargetName Adopt(char* name) {
    TargetName t;
    t.name_.reset(name);
    return t;
  }

 private:
  std::unique_ptr<char[]> name_;
};

// One (address, port) to probe; address in host order. `name`, when not empty, is the target's
// name (ZGrab2's domain column): sent as the TLS server name instead of ProberOptions::sni and
// recorded as ProbeRecord::domain. Move-only, as its name is: a TrySubmit() that returns true
// takes the name (leaves it empty), otherwise the target is left as it was.
struct ProbeTarget {
  uint32_t address;
  uint16_t port;
  TargetName name;
  uint8_t attempt = 0;  // attempts made before this one (retries of transient outcomes)
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_PROBER_OPTIONS_H_
