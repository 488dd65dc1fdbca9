// The sweeper's command-line flags (rate, bandwidth, interface, sources, probes, cooldown, send
// method, ...) and how they become a SweeperConfig: route, source address and next-hop MAC come
// from the kernel (netlink) unless given. Shared by `mailsweep sweep` and `mailsweep scan`, so the
// flags mean the same in both. Set-up code, single-threaded.
//
// Example:
//   SweepFlags sweep;
//   sweep.Register(&flags);
//   ... flags.Parse(...); auto walk = ResolveWalk(...);
//   absl::StatusOr<SweeperConfig> config = BuildSweeperConfig(sweep, *walk);
#ifndef MAILSWEEP_ENGINE_CLI_SWEEP_OPTIONS_H_
#define MAILSWEEP_ENGINE_CLI_SWEEP_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/flag_set.h"
#include "engine/run/walk_options.h"
#include "engine/sweep/sweeper.h"

namespace mailsweep::engine {

struct SweepFlags {
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
  uint32_t batch = SweeperConfig{}.batch;
  std::string send_method = "txring";
  bool qdisc_bypass = false;
  uint32_t pcap_buffer_mb = 64;
  std::string dryrun;
  bool unlimited_rate_ok = false;  // --unlimited-rate-ok: -r 0 on more than kUnlimitedRateTargets
  bool rate_given = false;  // -r appeared (set by the command after parsing: flags.WasSet("-r"))

  // Registers every flag above; `this` must outlive flags->Parse().
  void Register(FlagSet* flags);
};

// The most targets (after the blocklists, all shards together) an unlimited rate (-r 0) may sweep
// without --unlimited-rate-ok: a /16 at one port. Beyond it, -r 0 is more likely an accident
// (a forgotten -r, a /0 typed for a /24) than a wish to flood the Internet.
inline constexpr uint64_t kUnlimitedRateTargets = uint64_t{1} << 16;

// kInvalidArgument when a flag is wrong (exit status 2), -r 0 on more than kUnlimitedRateTargets
// without --unlimited-rate-ok included (checked before anything of the machine is asked, so
// before any packet); another code when the machine cannot do it (no route, no neighbour
// entry: exit status 1). The config borrows walk's space/permutation.
absl::StatusOr<SweeperConfig> BuildSweeperConfig(const SweepFlags& flags, const ResolvedWalk& walk,
                                                 uint64_t start_position);

// One line describing a sweep about to start (targets, seed, shard, rate, blocklist size,
// expected duration, interface, ...): printed even with -q, so every run's log says what it did.
std::string DescribeSweep(const SweeperConfig& config, const ResolvedWalk& walk, uint64_t shards,
                          uint64_t shard);

// Source ports for SYNs: the largest range outside the kernel's ephemeral ports, so the prober's
// own connect()s never collide with them.
struct PortRange {
  uint16_t first = 0;
  uint32_t count = 0;
};
PortRange DefaultSourcePorts(uint32_t ephemeral_lo, uint32_t ephemeral_hi);
absl::StatusOr<PortRange> ParseSourcePorts(std::string_view text);  // "LO-HI"

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_SWEEP_OPTIONS_H_
