// One attempt at a target, the parts that need none of the loop's state: the record it begins
// with, the socket and the non-blocking connect() that start it, and the target for a further
// attempt (a retry). ProberLoop::StartOne and its retry paths (prober_loop.cc) use them.
//
// Thread rule: plain functions; the record and socket belong to the caller's loop thread.
//
// Example:
//   BeginRecord(t, options.sni, &c.record);
//   c.fd = OpenProbeSocket(options.source_address);
//   if (c.fd >= 0 && StartConnect(c.fd, t.address, t.port) == ConnectStart::kPending) ...
#ifndef MAILSWEEP_ENGINE_PROBER_PROBE_ATTEMPT_H_
#define MAILSWEEP_ENGINE_PROBER_PROBE_ATTEMPT_H_

#include <cstdint>
#include <string>

#include "engine/prober/prober_options.h"
#include "results/format/records.h"

namespace mailsweep::engine {

// Resets `r` to the record of attempt t.attempt + 1 at t: address, port, protocol and TLS mode
// by port, and the domain (t's name, or `sni` when it has none).
void BeginRecord(const ProbeTarget& t, const std::string& sni, results::ProbeRecord* r);
// The target of a further attempt at `r`'s target (`attempt`: attempts made before it), with a
// name of its own when `r`'s domain is not the default `sni`.
ProbeTarget NextAttempt(const results::ProbeRecord& r, const std::string& sni, uint8_t attempt);

// A non-blocking TCP socket with TCP_NODELAY, bound to `source_address` (host order) when not
// 0, its port left for connect() to choose; -1 when socket() or bind() failed (ours, not the
// target's).
int OpenProbeSocket(uint32_t source_address);

enum class ConnectStart : uint8_t {
  kPending,       // connected or in progress: wait for EPOLLOUT
  kRefused,       // ECONNREFUSED at once
  kLocalFailure,  // no local port or memory: ours, not the target's
  kFailed,        // ENETUNREACH, EHOSTUNREACH, ETIMEDOUT, EACCES (a firewall of ours), ...
};
// connect() to (address, port), host order. *err is connect()'s errno (0 when kPending).
ConnectStart StartConnect(int fd, uint32_t address, uint16_t port, int* err);

// The outcome of a connection attempt that failed with errno `err`, at once (kFailed) or later
// (SO_ERROR): refused, reset, unreachable (ENETUNREACH, EHOSTUNREACH: an ICMP answer or no
// route), and a connect timeout for everything else.
results::ProbeOutcome ConnectFailureOutcome(int err);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_PROBE_ATTEMPT_H_
