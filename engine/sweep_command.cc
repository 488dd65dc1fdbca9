#include "engine/sweep_command.h"

#include <net/if.h>
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
#include "engine/sweep_options.h"
#include "engine/sweeper.h"
#include "engine/token_bucket.h"
#include "engine/walk_options.h"
#include "targets/ipv4.h"
#include "targets/port_list.h"

namespace mailsweep::engine {
namespace {

constexpr char kName[] = "mailsweep sweep";

}  // namespace

namespace {

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
  SweepOptions sweep_options;
  std::string output, status_json;
  bool quiet = false;

  FlagSet flags(kName, "[flags] CIDR...",
                "Finds open TCP ports by sending one SYN per (address, port) in a pseudo-random "
                "order and\nclassifying the replies (SYN-ACK: open, RST: closed, ICMP: "
                "unreachable). Replies are validated\nstatelessly (keyed SYN cookies) and "
                "de-duplicated exactly. Needs CAP_NET_RAW.");
  walk_options.Register(&flags);
  sweep_options.Register(&flags);
  flags.String("-o,--output", "FILE",
               "CSV of responding (address, port): ip,port,status,ttl,"
               "window,ts ('-': stdout)",
               &output);
  flags.String("--status-json", "FILE", "write the status as JSON lines, once a second",
               &status_json);
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
  auto resolved = ResolveSweepConfig(sweep_options, *walk);
  if (!resolved.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kName, resolved.status().message());
    return absl::IsInvalidArgument(resolved.status()) ? 2 : 1;
  }
  const SweeperConfig& config = *resolved;
  const bool dry = !config.dryrun_pcap.empty();
  const uint64_t start_position = config.start_position;

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
                  "%d-%d, %s%s, %d thread(s), %d probe(s)\n",
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
                  dry ? "pcap file" : SendMethodName(config.send_method),
                  config.qdisc_bypass ? " + qdisc bypass" : "", config.threads, config.probes);
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
