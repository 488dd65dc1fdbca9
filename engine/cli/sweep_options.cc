#include "engine/cli/sweep_options.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>

#include "base/strings.h"
#include "base/text_format.h"
#include "engine/cli/status_line.h"
#include "engine/sweep/route_lookup.h"
#include "engine/sweep/bandwidth.h"
#include "targets/ipv4.h"
#include "targets/port_list.h"

namespace mailsweep::engine {
namespace {

absl::StatusOr<uint32_t> ParseU32(std::string_view text, uint32_t max) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > max) {
    return absl::InvalidArgumentError(StrCat("'", text, "' is not a number up to ", max));
  }
  return v;
}

PortRange KernelDefaultSourcePorts() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  uint32_t lo = 32768, hi = 60999;
  in >> lo >> hi;
  return DefaultSourcePorts(lo, hi);
}

}  // namespace

PortRange DefaultSourcePorts(uint32_t lo, uint32_t hi) {
  // Candidates: above the ephemeral range, and from 1024 up to below it.
  const uint32_t above_first = hi + 1;
  const uint32_t above_count = above_first <= 65535 ? 65536 - above_first : 0;
  const uint32_t below_count = lo > 1024 ? lo - 1024 : 0;
  // Prefer the high range (as ZMap, out of the way of services) unless it is tiny.
  if (above_count >= 1024 || above_count >= below_count) {
    if (above_count == 0) return {1024, 1};  // no room at all: degenerate but valid
    return {static_cast<uint16_t>(above_first), above_count};
  }
  return {1024, below_count};
}

absl::StatusOr<PortRange> ParseSourcePorts(std::string_view text) {
  const size_t dash = text.find('-');
  auto lo = ParseU32(text.substr(0, dash), 65535);
  if (!lo.ok()) return lo.status();
  uint32_t hi = *lo;
  if (dash != std::string_view::npos) {
    auto h = ParseU32(text.substr(dash + 1), 65535);
    if (!h.ok()) return h.status();
    hi = *h;
  }
  if (*lo == 0 || hi < *lo) {
    return absl::InvalidArgumentError(
        StrCat("'", text, "' is not a port range LO-HI within 1-65535"));
  }
  return PortRange{static_cast<uint16_t>(*lo), hi - *lo + 1};
}

void SweepFlags::Register(FlagSet* flags) {
  flags->Uint64("-r,--rate", "PPS", "packets per second over all sender threads (0: unlimited)",
                &rate);
  flags->Custom("-B,--bandwidth", "BPS",
                "bandwidth instead of -r, e.g. 10M, 1G (bits/s, 90 bytes per SYN on the wire)",
                "", [this](std::string_view v) -> absl::Status {
                  double bps = 0;
                  if (!ParseBandwidth(std::string(v).c_str(), &bps)) {
                    return absl::InvalidArgumentError(
                        StrCat(Quote(v), " is not a bandwidth from 1 to 10T bits/s (10M, 1G)"));
                  }
                  bandwidth = std::string(v);
                  return absl::OkStatus();
                });
  flags->String("-i,--interface", "IF", "interface to send on (default: from the routing table)",
                &interface);
  flags->String("-G,--gateway-mac", "MAC",
                "next-hop MAC (default: the gateway's entry in the neighbour table)", &gateway_mac);
  flags->StringList("-S,--source-ip", "ADDR",
                    "source address or range a.b.c.d-e.f.g.h (default: the route's)", &sources);
  flags->String("--source-ports", "LO-HI",
                "source ports (default: the largest range outside the kernel's ephemeral ports)",
                &source_ports);
  flags->Uint32("--probes", "N", "SYNs per target, spaced in time (1-16)", &probes);
  flags->Double("--probe-spacing", "SECONDS", "least time between two SYNs to one target",
                &probe_spacing);
  flags->Double("-c,--cooldown", "SECONDS", "how long to wait for replies after the last SYN",
                &cooldown);
  flags->Uint32("-T,--sender-threads", "N", "sender threads", &threads);
  flags->Uint32("--batch", "N", "packets per send system call (1-1024)", &batch);
  flags->String("--send-method", "M",
                "txring (PACKET_TX_RING, the faster on the lab veth) or sendmmsg", &send_method);
  flags->Bool("--qdisc-bypass", "send with PACKET_QDISC_BYPASS (skips the interface's qdisc)",
              &qdisc_bypass);
  flags->Uint32("--pcap-buffer-mb", "MB", "capture buffer size", &pcap_buffer_mb);
  flags->Bool("--unlimited-rate-ok",
              StrCat("confirm -r 0 (unlimited rate) on more than ", kUnlimitedRateTargets,
                     " targets (a /16 at one port) after the blocklists"),
              &unlimited_rate_ok);
  flags->String("--dryrun", "FILE.pcap",
                "build the packets and write them to a pcap file; send nothing", &dryrun);
}

absl::StatusOr<SweeperConfig> BuildSweeperConfig(const SweepFlags& f, const ResolvedWalk& walk,
                                                 uint64_t start_position) {
  SweeperConfig config;
  config.space = &walk.space;
  config.permutation = &walk.permutation;
  config.range = walk.shard_range;
  config.start_position = start_position;
  config.seed = walk.seed;
  config.rate = static_cast<double>(f.rate);
  if (!f.bandwidth.empty()) {
    if (f.rate_given) {
      return absl::InvalidArgumentError("-r and -B both set the send rate: give one of them");
    }
    double bps = 0;
    if (!ParseBandwidth(f.bandwidth.c_str(), &bps)) {
      return absl::InvalidArgumentError("-B: not a bandwidth (10M, 1G)");
    }
    config.rate = RateForBandwidth(bps);
  }
  // Asked twice before anything else, so that even a dry run or a machine without a route says
  // it: the same command line must not flood the Internet once it runs where it can.
  if (config.rate <= 0 && walk.space.size() > kUnlimitedRateTargets && !f.unlimited_rate_ok) {
    return absl::InvalidArgumentError(
        StrCat("-r 0 (unlimited rate) on ", walk.space.size(), " targets, more than ",
               kUnlimitedRateTargets,
               " (a /16 at one port): give a rate with -r, or confirm with --unlimited-rate-ok"));
  }
  config.threads = f.threads;
  config.batch = f.batch;
  config.probes = f.probes;
  config.probe_spacing_s = f.probe_spacing;
  config.cooldown_s = f.cooldown;
  config.qdisc_bypass = f.qdisc_bypass;
  config.dryrun_pcap = f.dryrun;
  config.pcap_buffer_bytes = static_cast<int>(std::min<uint32_t>(f.pcap_buffer_mb, 2047)) << 20;
  auto method = ParseSendMethod(f.send_method);
  if (!method.ok()) {
    return absl::InvalidArgumentError(StrCat("--send-method: ", method.status().message()));
  }
  config.send_method = *method;

  PortRange ports = KernelDefaultSourcePorts();
  if (!f.source_ports.empty()) {
    auto p = ParseSourcePorts(f.source_ports);
    if (!p.ok())
      return absl::InvalidArgumentError(StrCat("--source-ports: ", p.status().message()));
    ports = *p;
  }
  config.first_source_port = ports.first;
  config.source_port_count = ports.count;

  for (const std::string& s : f.sources) {
    auto r = targets::ParseIpv4Range(s);
    if (!r.ok()) return absl::InvalidArgumentError(StrCat("-S: ", r.status().message()));
    if (r->size() > 256) return absl::InvalidArgumentError("-S: at most 256 source addresses");
    for (uint64_t a = r->first; a <= r->last; ++a) {
      config.sources.push_back(static_cast<uint32_t>(a));
    }
  }

  std::optional<MacAddress> gateway_mac;
  if (!f.gateway_mac.empty()) {
    auto mac = ParseMac(f.gateway_mac);
    if (!mac.ok()) return absl::InvalidArgumentError(StrCat("-G: ", mac.status().message()));
    gateway_mac = *mac;
  }
  // Bad flags first, wherever the command runs; then what the machine says.
  if (absl::Status s = Sweeper::CheckSettings(config); !s.ok()) return s;

  // Interface, source and next hop from the kernel unless given.
  const uint32_t probe_address = walk.space.allowed().ranges().front().first;
  auto route = LookupRoute(probe_address);
  const bool dry = !f.dryrun.empty();
  if (!route.ok() && !dry && (f.interface.empty() || f.gateway_mac.empty() || f.sources.empty())) {
    return absl::FailedPreconditionError(StrCat("cannot route to ", FormatIpv4(probe_address), ": ",
                                                route.status().message(), " (give -i, -S and -G)"));
  }
  config.interface = !f.interface.empty() ? f.interface : route.ok() ? route->interface : "";
  if (config.sources.empty()) {
    uint32_t src = 0;
    if (route.ok() && route->interface == config.interface) src = route->source;
    if (src == 0 && !config.interface.empty()) {
      auto a = InterfaceAddress(config.interface);
      if (a.ok()) src = *a;
    }
    if (src == 0 && !dry) {
      return absl::FailedPreconditionError(
          StrCat("no source address on ", config.interface, " (give -S)"));
    }
    config.sources.push_back(src);
  }
  if (!config.interface.empty()) {
    auto mac = InterfaceMac(config.interface);
    if (mac.ok()) {
      config.source_mac = *mac;
    } else if (!dry) {
      return mac.status();
    }
  }
  if (gateway_mac) {
    config.gateway_mac = *gateway_mac;
  } else if (route.ok() && route->next_hop_mac) {
    config.gateway_mac = *route->next_hop_mac;
  } else if (!dry) {
    return absl::FailedPreconditionError(StrCat(
        "no neighbour entry for the next hop ",
        route.ok() ? FormatIpv4(route->next_hop) : std::string("?"), " on ", config.interface,
        ": give -G MAC (or let the kernel resolve it first, e.g. one ping to the gateway)"));
  }
  return config;
}

std::string DescribeSweep(const SweeperConfig& config, const ResolvedWalk& walk, uint64_t shards,
                          uint64_t shard) {
  const bool dry = !config.dryrun_pcap.empty();
  // This run's share of the walk's positions holds about that share of the targets.
  const uint64_t first = config.start_position ? config.start_position : config.range.begin;
  const double share = config.range.end > first ? static_cast<double>(config.range.end - first) /
                                                      walk.permutation.cycle_length()
                                                : 0.0;
  const double packets = share * static_cast<double>(walk.space.size()) * config.probes;
  const std::string duration =
      config.rate > 0
          ? StrCat("expected duration ", FormatDuration(packets / config.rate + config.cooldown_s),
                   " (", FormatCount(packets), " SYNs, then ", config.cooldown_s, " s cooldown)")
          : StrCat("expected duration: as fast as the interface sends ", FormatCount(packets),
                   " SYNs");
  return StrCat(walk.space.size(), " targets (", walk.space.address_count(), " addresses x ",
                walk.space.ports().size(), " ports: ", targets::FormatPortList(walk.space.ports()),
                "), seed ", walk.seed, walk.seed_was_random ? " (random)" : "", ", shard ", shard,
                " of ", shards, ", positions [",
                config.start_position ? config.start_position : config.range.begin, ", ",
                config.range.end, "); ",
                config.rate > 0 ? StrCat(static_cast<uint64_t>(config.rate), " p/s")
                                : std::string("unlimited rate"),
                "; blocklist ", walk.space.blocked().Count(), " addresses (",
                DescribeBlocklistFiles(walk.blocklist_files), "); ", duration,
                "; interface ", dry ? std::string("(dry run)") : config.interface, ", source ",
                FormatIpv4(config.sources[0]), ", next hop ", FormatMac(config.gateway_mac),
                ", source ports ", config.first_source_port, "-",
                config.first_source_port + config.source_port_count - 1, ", ",
                dry ? "pcap file" : SendMethodName(config.send_method), ", ", config.threads,
                " thread(s), ", config.probes, " probe(s)");
}

}  // namespace mailsweep::engine
