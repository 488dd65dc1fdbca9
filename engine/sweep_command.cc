#include "engine/sweep_command.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/flag_set.h"
#include "base/strings.h"
#include "engine/csv_record_sink.h"
#include "engine/route_lookup.h"
#include "engine/status_line.h"
#include "engine/sweeper.h"
#include "engine/token_bucket.h"
#include "engine/walk_options.h"
#include "targets/ipv4.h"
#include "targets/port_list.h"

namespace mailsweep::engine {
namespace {

constexpr char kName[] = "mailsweep sweep";

absl::StatusOr<uint32_t> ParseU32(std::string_view text, uint32_t max) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > max) {
    return absl::InvalidArgumentError(StrCat("'", text, "' is not a number up to ", max));
  }
  return v;
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
    return absl::InvalidArgumentError(StrCat("'", text, "' is not a port range LO-HI within 1-65535"));
  }
  return PortRange{static_cast<uint16_t>(*lo), hi - *lo + 1};
}

namespace {

PortRange KernelDefaultSourcePorts() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  uint32_t lo = 32768, hi = 60999;
  in >> lo >> hi;
  return DefaultSourcePorts(lo, hi);
}

// Waits for SIGINT/SIGTERM (blocked in every thread) and turns them into stop requests.
class SignalWatcher {
 public:
  explicit SignalWatcher(Sweeper* sweeper, bool quiet) : sweeper_(sweeper), quiet_(quiet) {
    thread_ = std::thread([this] { Main(); });
  }
  ~SignalWatcher() {
    done_.store(true);
    thread_.join();
  }

 private:
  void Main() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec timeout{0, 100'000'000};
    while (!done_.load()) {
      if (sigtimedwait(&set, nullptr, &timeout) > 0) {
        if (!quiet_) {
          fputs(++count_ == 1 ? "mailsweep sweep: stopping (again to skip the cooldown)\n"
                              : "mailsweep sweep: skipping the cooldown\n",
                stderr);
        }
        sweeper_->RequestStop();
      }
    }
  }

  Sweeper* sweeper_;
  bool quiet_;
  int count_ = 0;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int RunSweepCommand(int argc, const char* const* argv) {
  WalkOptions walk_options;
  uint64_t rate = 10000;
  std::string bandwidth, interface, gateway_mac, source_ports, output, dryrun, status_json;
  std::string send_method = "txring";
  std::vector<std::string> sources;
  uint32_t probes = 1, threads = 1, batch = 64, pcap_buffer_mb = 64;
  double cooldown = 8, probe_spacing = 0.5;
  uint64_t start_position = 0;
  bool quiet = false, qdisc_bypass = false;

  FlagSet flags(kName, "[flags] CIDR...",
                "Finds open TCP ports by sending one SYN per (address, port) in a pseudo-random "
                "order and\nclassifying the replies (SYN-ACK: open, RST: closed, ICMP: "
                "unreachable). Replies are validated\nstatelessly (keyed SYN cookies) and "
                "de-duplicated exactly. Needs CAP_NET_RAW.");
  walk_options.Register(&flags);
  flags.Uint64("-r,--rate", "PPS", "packets per second over all sender threads (0: unlimited)",
               &rate);
  flags.String("-B,--bandwidth", "BPS",
               "bandwidth instead of -r, e.g. 10M, 1G (bits/s, 90 bytes per SYN on the wire)",
               &bandwidth);
  flags.String("-i,--interface", "IF", "interface to send on (default: from the routing table)",
               &interface);
  flags.String("-G,--gateway-mac", "MAC",
               "next-hop MAC (default: the gateway's entry in the neighbour table)", &gateway_mac);
  flags.StringList("-S,--source-ip", "ADDR",
                   "source address or range a.b.c.d-e.f.g.h, repeatable (default: the route's)",
                   &sources);
  flags.String("--source-ports", "LO-HI",
               "source ports (default: the largest range outside the kernel's ephemeral "
               "ports)",
               &source_ports);
  flags.Uint32("--probes", "N", "SYNs per target, spaced in time (1-16)", &probes);
  flags.Double("--probe-spacing", "SECONDS", "least time between two SYNs to one target",
               &probe_spacing);
  flags.Double("-c,--cooldown", "SECONDS", "how long to wait for replies after the last SYN",
               &cooldown);
  flags.String("-o,--output", "FILE", "CSV of responding (address, port): ip,port,status,ttl,"
               "window,ts ('-': stdout)", &output);
  flags.Uint32("-T,--sender-threads", "N", "sender threads", &threads);
  flags.Uint32("--batch", "N", "packets per send system call (1-1024)", &batch);
  flags.String("--send-method", "M",
               "txring (PACKET_TX_RING, the faster on the lab veth) or sendmmsg", &send_method);
  flags.Bool("--qdisc-bypass", "send with PACKET_QDISC_BYPASS (skips the interface's qdisc)",
             &qdisc_bypass);
  flags.Uint32("--pcap-buffer-mb", "MB", "capture buffer size", &pcap_buffer_mb);
  flags.Uint64("--start-position", "P",
               "resume: first position of the walk to send (a watermark printed by an earlier "
               "run)",
               &start_position);
  flags.String("--dryrun", "FILE.pcap", "build the packets and write them to a pcap file; send "
               "nothing", &dryrun);
  flags.String("--status-json", "FILE", "write the status as JSON lines, once a second", &status_json);
  flags.Bool("-q,--quiet", "no status line or summary", &quiet);
  flags.Epilog(
      "Example (in the lab's scanner namespace):\n"
      "  mailsweep sweep -p 110,143,993,995 -r 200000 --seed 7 --allow-reserved 198.18.0.0/15 \\\n"
      "      -o open.csv 198.18.0.0/15\n"
      "Exit status: 0 done (also when stopped by SIGINT), 1 runtime failure, 2 bad usage.");
  std::vector<std::string> positional;
  if (absl::Status s = flags.Parse(argc, argv, &positional); !s.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kName, s.message());
    return 2;
  }
  if (flags.help_requested()) {
    fputs(flags.Help().c_str(), stdout);
    return 0;
  }
  auto usage = [](std::string_view message) {
    absl::FPrintF(stderr, "%s: %s\n", kName, ToAbsl(message));
    return 2;
  };
  if (positional.empty() && walk_options.spec.allowlist_files.empty()) {
    return usage("no targets: give CIDR blocks or -w FILE");
  }
  auto walk = ResolveWalk(walk_options, positional);
  if (!walk.ok()) return usage(ToStd(walk.status().message()));
  for (const std::string& note : walk->notes) {
    absl::FPrintF(stderr, "%s: warning: %s\n", kName, note);
  }
  if (walk->space.size() == 0) return usage("no targets left after the blocklists");

  SweeperConfig config;
  config.space = &walk->space;
  config.permutation = &walk->permutation;
  config.range = walk->shard_range;
  config.start_position = start_position;
  config.seed = walk->seed;
  config.rate = static_cast<double>(rate);
  if (!bandwidth.empty()) {
    double bps = 0;
    if (!ParseBandwidth(bandwidth.c_str(), &bps)) return usage("-B: not a bandwidth (10M, 1G)");
    config.rate = RateForBandwidth(bps);
  }
  config.threads = threads;
  config.batch = batch;
  config.probes = probes;
  config.probe_spacing_s = probe_spacing;
  config.cooldown_s = cooldown;
  config.qdisc_bypass = qdisc_bypass;
  config.dryrun_pcap = dryrun;
  config.pcap_buffer_bytes = static_cast<int>(std::min<uint32_t>(pcap_buffer_mb, 2047)) << 20;
  auto method = ParseSendMethod(send_method);
  if (!method.ok()) return usage(StrCat("--send-method: ", method.status().message()));
  config.send_method = *method;

  PortRange ports = KernelDefaultSourcePorts();
  if (!source_ports.empty()) {
    auto p = ParseSourcePorts(source_ports);
    if (!p.ok()) return usage(StrCat("--source-ports: ", p.status().message()));
    ports = *p;
  }
  config.first_source_port = ports.first;
  config.source_port_count = ports.count;

  for (const std::string& s : sources) {
    auto r = targets::ParseIpv4Range(s);
    if (!r.ok()) return usage(StrCat("-S: ", r.status().message()));
    if (r->size() > 256) return usage("-S: at most 256 source addresses");
    for (uint64_t a = r->first; a <= r->last; ++a) config.sources.push_back(static_cast<uint32_t>(a));
  }

  // Interface, source and next hop from the kernel unless given.
  const uint32_t probe_address = walk->space.allowed().ranges().front().first;
  auto route = LookupRoute(probe_address);
  const bool dry = !dryrun.empty();
  if (!route.ok() && !dry && (interface.empty() || gateway_mac.empty() || sources.empty())) {
    absl::FPrintF(stderr, "%s: cannot route to %s: %s (give -i, -S and -G)\n", kName,
                  targets::FormatIpv4(probe_address), route.status().message());
    return 1;
  }
  config.interface = !interface.empty() ? interface : route.ok() ? route->interface : "";
  if (config.sources.empty()) {
    uint32_t src = 0;
    if (route.ok() && route->interface == config.interface) src = route->source;
    if (src == 0 && !config.interface.empty()) {
      auto a = InterfaceAddress(config.interface);
      if (a.ok()) src = *a;
    }
    if (src == 0 && !dry) {
      absl::FPrintF(stderr, "%s: no source address on %s (give -S)\n", kName, config.interface);
      return 1;
    }
    config.sources.push_back(src);
  }
  if (!config.interface.empty()) {
    auto mac = InterfaceMac(config.interface);
    if (mac.ok()) {
      config.source_mac = *mac;
    } else if (!dry) {
      absl::FPrintF(stderr, "%s: %s\n", kName, mac.status().message());
      return 1;
    }
  }
  if (!gateway_mac.empty()) {
    auto mac = ParseMac(gateway_mac);
    if (!mac.ok()) return usage(StrCat("-G: ", mac.status().message()));
    config.gateway_mac = *mac;
  } else if (route.ok() && route->next_hop_mac) {
    config.gateway_mac = *route->next_hop_mac;
  } else if (!dry) {
    absl::FPrintF(stderr,
                  "%s: no neighbour entry for the next hop %s on %s: give -G MAC (or let the "
                  "kernel resolve it first, e.g. one ping to the gateway)\n",
                  kName, route.ok() ? targets::FormatIpv4(route->next_hop) : "?",
                  config.interface);
    return 1;
  }

  std::unique_ptr<CsvRecordSink> sink;
  if (!output.empty()) {
    auto s = CsvRecordSink::Open(output);
    if (!s.ok()) {
      absl::FPrintF(stderr, "%s: %s\n", kName, s.status().message());
      return 1;
    }
    sink = *std::move(s);
  }
  FILE* json = nullptr;
  if (!status_json.empty()) {
    json = fopen(status_json.c_str(), "w");
    if (json == nullptr) {
      absl::FPrintF(stderr, "%s: %s: cannot open\n", kName, status_json);
      return 1;
    }
  }

  // Signals go to the watcher thread only: block them before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto sweeper = Sweeper::Create(config, sink.get(), nullptr, nullptr);
  if (!sweeper.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kName, sweeper.status().message());
    if (json) fclose(json);
    return absl::IsInvalidArgument(sweeper.status()) ? 2 : 1;
  }
  if (!quiet) {
    absl::FPrintF(stderr,
                  "%s: %d targets (%d addresses x %d ports: %s), seed %d%s, shard %d of %d, "
                  "positions [%d, %d); %s; interface %s, source %s, next hop %s, source ports "
                  "%d-%d, %s, %d thread(s), %d probe(s)\n",
                  kName, walk->space.size(), walk->space.address_count(),
                  walk->space.ports().size(), targets::FormatPortList(walk->space.ports()),
                  walk->seed, walk->seed_was_random ? " (random)" : "", walk_options.shard,
                  walk_options.shards, start_position ? start_position : config.range.begin,
                  config.range.end,
                  config.rate > 0 ? StrCat(static_cast<uint64_t>(config.rate), " p/s")
                                  : std::string("unlimited rate"),
                  dry ? "(dry run)" : config.interface, targets::FormatIpv4(config.sources[0]),
                  FormatMac(config.gateway_mac), config.first_source_port,
                  config.first_source_port + config.source_port_count - 1,
                  dry ? "pcap file" : SendMethodName(config.send_method), config.threads,
                  config.probes);
  }

  absl::Status run_status;
  std::atomic<bool> finished{false};
  {
    SignalWatcher signals(sweeper->get(), quiet);
    std::thread runner([&] {
      run_status = (*sweeper)->Run();
      finished.store(true);
    });
    SweepStats prev = (*sweeper)->Stats();
    int64_t next = MonotonicNs() + 1'000'000'000;
    while (!finished.load()) {
      const timespec tick{0, 50'000'000};
      nanosleep(&tick, nullptr);
      if (MonotonicNs() < next || finished.load()) continue;
      next += 1'000'000'000;
      const SweepStats now = (*sweeper)->Stats();
      if (!quiet) fputs(FormatStatusLine(now, prev).c_str(), stderr);
      if (json) {
        fputs(FormatStatusJson(now, prev).c_str(), json);
        fflush(json);
      }
      prev = now;
    }
    runner.join();
  }
  const SweepStats final_stats = (*sweeper)->Stats();
  if (json) {
    fputs(FormatStatusJson(final_stats, final_stats).c_str(), json);
    fclose(json);
  }
  if (!quiet) {
    fputs(StrCat(kName, ": ", FormatSummary(final_stats)).c_str(), stderr);
    if (final_stats.watermark < config.range.end) {
      absl::FPrintF(stderr, "%s: stopped early; resume with --start-position %d\n", kName,
                    final_stats.watermark);
    }
  }
  if (!run_status.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kName, run_status.message());
    return 1;
  }
  return 0;
}

}  // namespace mailsweep::engine
