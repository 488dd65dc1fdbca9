// The prober pool's command-line flags (threads, connection caps, deadlines, EHLO name, SNI,
// STARTTLS options, ...) and how they become ProberOptions. Shared by `mailsweep probe` and
// `mailsweep scan`; in scan some names carry a prefix because the sweep already uses the short
// ones (-r is the SYN rate there, -c the cooldown, -i the interface). Set-up code.
//
// Example:
//   ProbeFlags probe;
//   probe.Register(&flags, ProbeFlags::kStandalone);
//   ... flags.Parse(...);
//   absl::StatusOr<ProberOptions> options = probe.Finish();
#ifndef MAILSWEEP_ENGINE_CLI_PROBE_OPTIONS_H_
#define MAILSWEEP_ENGINE_CLI_PROBE_OPTIONS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/flag_set.h"
#include "engine/prober/prober_pool.h"

namespace mailsweep::engine {

struct ProbeFlags {
  enum Names { kStandalone, kInScan };

  ProberOptions options;
  std::optional<std::string> ehlo;  // --ehlo; none: this host's name (base/host_name.h)
  std::string source_ip;
  bool fixed_rate = false;

  ProbeFlags() { options.max_connections = 1000; }
  // `this` must outlive flags->Parse().
  void Register(FlagSet* flags, Names names);
  // Parses what needs parsing and validates; kInvalidArgument names the flag. Without --ehlo the
  // EHLO name is LocalFqdn(), or the session's default (mailsweep.invalid) when there is none.
  absl::StatusOr<ProberOptions> Finish() const;
  // For the start line: "EHLO name NAME (where it came from)"; `o` is what Finish() returned.
  std::string DescribeEhlo(const ProberOptions& o) const;
};

// Raises this process's soft limit on open files to its hard limit (process-wide: call once, at
// start-up) and lowers o->max_connections to what fits under it, keeping 256 descriptors for
// everything else. Returns a note for the user when it lowered the cap, else "".
std::string FitToOpenFileLimit(ProberOptions* o);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_PROBE_OPTIONS_H_
