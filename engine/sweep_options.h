// The sweeper's flags (-r, -B, -i, -G, -S, --source-ports, --probes, -c, -T, --send-method, ...),
// shared by `mailsweep sweep` and any command that embeds a sweep (the pipeline's `scan`), so they
// mean the same everywhere. Register() adds them to a FlagSet; ResolveSweepConfig() validates them
// and fills what was not given from the kernel (route, neighbour and qdisc over netlink, the
// ephemeral port range). Single-threaded set-up code.
//
// Example:
//   WalkOptions walk_options; SweepOptions sweep_options;
//   walk_options.Register(&flags); sweep_options.Register(&flags);
//   ... flags.Parse(...) ...
//   auto walk = ResolveWalk(walk_options, positional);
//   auto config = ResolveSweepConfig(sweep_options, *walk);   // borrows *walk
//   auto sweeper = Sweeper::Create(*config, &sink, &handler, &throttle);
#ifndef MAILSWEEP_ENGINE_SWEEP_OPTIONS_H_
#define MAILSWEEP_ENGINE_SWEEP_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/flag_set.h"
#include "engine/sweeper.h"
#include "engine/walk_options.h"

namespace mailsweep::engine {

struct SweepOptions {
  uint64_t rate = 10000;
  std::string bandwidth;
  std::string interface;
  std::string gateway_mac;
  std::vector<std::string> sources;
  std::string source_ports;
  uint32_t probes = 1;
  double probe_spacing = 0.5;
  double cooldown = 8;
  uint32_t threads = 1;
  uint32_t batch = 64;
  std::string send_method = "txring";
  std::string qdisc_bypass = "auto";
  uint32_t pcap_buffer_mb = 64;
  uint64_t start_position = 0;
  std::string dryrun;

  // Adds the sweep flags to `flags`; `this` must outlive flags.Parse().
  void Register(FlagSet* flags);
};

// Builds a validated config for sweeping `walk`, which it borrows (the config points into it, so
// `walk` must outlive the config and the Sweeper). Errors: kInvalidArgument for bad flag values
// (a usage error), kNotFound/kFailedPrecondition/kUnavailable when the network does not provide
// a default (no route, no neighbour entry: the message says which flag to give).
absl::StatusOr<SweeperConfig> ResolveSweepConfig(const SweepOptions& options,
                                                 const ResolvedWalk& walk);

// The default source ports: the largest range of unprivileged ports outside the kernel's
// ephemeral range "lo hi" (/proc/sys/net/ipv4/ip_local_port_range), so the prober's own
// connect()s never share a port with the sweep.
struct PortRange {
  uint16_t first = 0;
  uint32_t count = 0;
};
PortRange DefaultSourcePorts(uint32_t ephemeral_lo, uint32_t ephemeral_hi);
// "LO-HI" or a single port.
absl::StatusOr<PortRange> ParseSourcePorts(std::string_view text);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_OPTIONS_H_
