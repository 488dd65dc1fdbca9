#include "engine/cli/sweep_command.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/flag_set.h"
#include "base/privileges.h"
#include "base/sandbox.h"
#include "base/strings.h"
#include "engine/cli/command_start.h"
#include "engine/cli/csv_record_sink.h"
#include "engine/cli/status_json_file.h"
#include "engine/cli/status_line.h"
#include "engine/cli/sweep_options.h"
#include "engine/run/run_header.h"
#include "engine/run/signal_fd.h"
#include "engine/run/walk_options.h"
#include "engine/sweep/sweeper.h"
#include "results/format/record_writer.h"
#include "targets/blocklist_reloader.h"
#include "targets/exclusion_overlay.h"
#include "targets/ipv4.h"
#include "targets/port_list.h"

namespace mailsweep::engine {
namespace {

constexpr CommandStart kCommand("mailsweep sweep");

}  // namespace

int RunSweepCommand(int argc, const char* const* argv) {
  WalkOptions walk_options;
  SweepFlags sweep;
  std::string output;
  StatusJsonFile json;
  std::string format = "msr";
  uint64_t start_position = 0;
  std::string expect_walk;
  bool quiet = false;
  PrivilegeOptions privileges;
  SandboxOptions sandbox;

  FlagSet flags(kCommand.name(), "[flags] CIDR...",
                "Finds open TCP ports by sending one SYN per (address, port) in a pseudo-random "
                "order and\nclassifying the replies (SYN-ACK: open, RST: closed, ICMP: "
                "unreachable). Replies are validated\nstatelessly (keyed SYN cookies) and "
                "de-duplicated exactly. SIGHUP re-reads the -b files: what\nthey newly block is "
                "skipped from then on. Needs CAP_NET_RAW.");
  walk_options.Register(&flags);
  sweep.Register(&flags);
  flags.String("-o,--output", "FILE",
               "records of the responding (address, port), one each ('-': stdout, with -f csv)",
               &output);
  flags.String("-f,--format", "FMT",
               "msr (record file, results/format/FORMAT.md; read it with mailsweep-agg) or csv "
               "(ip,port,status,ttl,window,ts)",
               &format);
  flags.Uint64("--start-position", "P",
               "resume: first position of the walk to send (a watermark printed by an earlier "
               "run); the seed, shard, ports, targets and blocklists (their contents too) must "
               "be the same, or the order differs: for opt-outs during a sweep, send SIGHUP",
               &start_position);
  flags.String("--expect-walk", "ID",
               "resume: refuse to start (exit 2) unless this run's walk (seed, shard, ports, "
               "targets and blocklists) is the one an earlier run printed with its resume "
               "position",
               &expect_walk);
  json.Register(&flags);
  privileges.Register(&flags);
  sandbox.Register(&flags);
  flags.Bool("-q,--quiet",
             "no status line or summary (the start line and what was not swept are still "
             "reported)",
             &quiet);
  flags.Epilog(
      "Once its sockets and files are open, the sweep runs as --user (when started as root) "
      "with no\ncapability left and no-new-privs set, under a seccomp filter that allows only the "
      "system calls\nthe senders and the capture need (a forbidden call: killed by SIGSYS).\n"
      "Opt-outs: SIGHUP re-reads every -b file (the reserved list and --allow-reserved stay): "
      "targets in\nwhat they newly block are skipped from then on (counted) and replies from "
      "them dropped; the walk\nand its positions do not change. A failed re-read keeps the "
      "list in force; nothing is un-blocked.\n"
      "Example (in the lab's scanner namespace):\n"
      "  mailsweep sweep -p 110,143,993,995 -r 200000 --seed 7 --allow-reserved 198.18.0.0/15 \\\n"
      "      -o open.csv 198.18.0.0/15\n"
      "Exit status: 0 done (also when stopped by SIGINT), 1 runtime failure, 2 bad usage.");
  std::vector<std::string> positional;
  if (std::optional<int> exit = kCommand.Parse(&flags, argc, argv, &positional)) return *exit;
  // SIGINT/SIGTERM (stop) and SIGHUP (reload) arrive on this fd from now on (a SIGHUP during
  // set-up waits for the run instead of killing the process); created before any thread starts
  // so all inherit the mask, and destroyed last.
  SignalFd signals;
  sweep.rate_given = flags.WasSet("-r");
  if (absl::Status s = ValidatePrivilegeOptions(privileges); !s.ok()) {
    return kCommand.Usage(s.message());
  }
  if (positional.empty() && walk_options.spec.allowlist_files.empty()) {
    return kCommand.Usage("no targets: give CIDR blocks or -w FILE");
  }
  if (format != "msr" && format != "csv") return kCommand.Usage("-f: the formats are msr and csv");
  if (format == "msr" && output == "-") {
    return kCommand.Usage("-f msr writes a file; use -f csv for stdout");
  }
  auto walk = ResolveWalk(walk_options, positional);
  if (!walk.ok()) return kCommand.Usage(walk.status().message());
  for (const std::string& note : walk->notes) {
    kCommand.Report(StrCat("warning: ", note));
  }
  if (walk->space.size() == 0) return kCommand.Usage("no targets left after the blocklists");
  const uint64_t walk_id = WalkId(*walk);
  if (!expect_walk.empty()) {
    uint64_t want = 0;
    std::string_view hex = expect_walk;
    if (hex.starts_with("0x")) hex.remove_prefix(2);
    const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), want, 16);
    if (hex.empty() || ec != std::errc() || end != hex.data() + hex.size()) {
      return kCommand.Usage(StrCat("--expect-walk ", Quote(expect_walk), " is not a walk id"));
    }
    if (want != walk_id) {
      return kCommand.Usage(absl::StrFormat(
          "--expect-walk 0x%016x: this walk is 0x%016x (%d targets): the seed, shard, ports, "
          "targets or blocklists differ from the run being resumed, so its positions would "
          "name other targets",
          want, walk_id, walk->space.size()));
    }
  }

  auto built = BuildSweeperConfig(sweep, *walk, start_position);
  if (!built.ok()) {
    if (absl::IsInvalidArgument(built.status())) return kCommand.Usage(built.status().message());
    kCommand.Report(built.status().message());
    return 1;
  }
  // Flushed each second: records reach the kernel as they come, and a write error (a full
  // disk) stops the sweep at once instead of at the end.
  built->sink_flush_interval_s = 1;
  // Opt-outs by SIGHUP: the -b files are opened now, while the process may still open files.
  targets::ExclusionOverlay overlay;
  auto reloader = targets::BlocklistReloader::Open(walk->blocklist_files, walk->allow_reserved,
                                                   walk->space.blocked(), &overlay);
  if (!reloader.ok()) {
    kCommand.Report(reloader.status().message());
    return 1;
  }
  built->overlay = &overlay;
  const SweeperConfig& config = *built;
  // Before any file is made: without the capability the sweep could not start.
  if (absl::Status s = CheckPacketCapability(); !s.ok() && config.dryrun_pcap.empty()) {
    kCommand.Report(s.message());
    return 1;
  }

  // Records: a record file (default) or CSV.
  std::unique_ptr<CsvRecordSink> csv;
  std::unique_ptr<results::RecordFileWriter> writer;
  std::unique_ptr<results::RecordSink> file_sink;
  results::RecordSink* sink = nullptr;
  if (!output.empty() && format == "csv") {
    auto s = CsvRecordSink::Open(output);
    if (!s.ok()) {
      kCommand.Report(s.status().message());
      return 1;
    }
    csv = *std::move(s);
    sink = csv.get();
  } else if (!output.empty()) {
    auto w = results::RecordFileWriter::Create(
        output, MakeFileHeader(walk->seed, walk_options.shards, walk_options.shard,
                               walk->space.ports(), argc, argv));
    if (!w.ok()) {
      kCommand.Report(w.status().message());
      return 1;
    }
    writer = *std::move(w);
    file_sink = writer->NewSink();
    sink = file_sink.get();
  }
  if (!json.Open()) {
    absl::FPrintF(stderr, "%s: %s: cannot open\n", kCommand.name(), json.path());
    return 1;
  }

  auto sweeper = Sweeper::Create(config, sink, nullptr, nullptr);
  if (!sweeper.ok()) {
    kCommand.Report(sweeper.status().message());
    return absl::IsInvalidArgument(sweeper.status()) ? 2 : 1;
  }
  // Before any thread starts: every thread then runs without privileges.
  absl::StatusOr<std::string> running_as = DropPrivileges(privileges);
  if (!running_as.ok()) {
    kCommand.Report(running_as.status().message());
    return 1;
  }
  // Also before the threads: no sender or receiver ever runs without the filter.
  absl::StatusOr<std::string> sandboxed = InstallSandbox(sandbox, SandboxProfile::kSweep);
  if (!sandboxed.ok()) {
    kCommand.Report(sandboxed.status().message());
    return 1;
  }
  // What is about to be sent is said with -q too.
  kCommand.Report(DescribeSweep(config, *walk, walk_options.shards, walk_options.shard));
  if (!quiet) kCommand.Report(StrCat("running as ", *running_as, "; ", *sandboxed));

  absl::Status run_status;
  std::atomic<bool> finished{false};
  {
    std::thread runner([&] {
      run_status = (*sweeper)->Run();
      finished.store(true);
    });
    SweepStats prev = (*sweeper)->Stats();
    int64_t next = MonotonicNs() + 1'000'000'000;
    int stops = 0;
    while (!finished.load()) {
      const std::optional<int> sig = signals.Wait(50);
      if (sig == SIGHUP) {
        // With -q too: whoever sent it must learn whether the opt-out is in force.
        const targets::ReloadOutcome r = reloader->Reload();
        // Said once no sender can still send to what it added.
        if (r.added > 0 && !(*sweeper)->AwaitOverlay(overlay.generation(), 1'000'000'000)) {
          kCommand.Report("warning: a sender did not confirm the reload within a second");
        }
        for (const std::string& line : FormatReload(r, reloader->excluded().Count())) {
          kCommand.Report(line);
        }
      } else if (sig.has_value()) {
        if (!quiet) {
          fputs(++stops == 1 ? "mailsweep sweep: stopping (again to skip the cooldown)\n"
                             : "mailsweep sweep: skipping the cooldown\n",
                stderr);
        }
        (*sweeper)->RequestStop();
      }
      if (MonotonicNs() < next || finished.load()) continue;
      next += 1'000'000'000;
      const SweepStats now = (*sweeper)->Stats();
      if (!quiet) fputs(FormatSweepStatusLine(now, prev).c_str(), stderr);
      json.Write(FormatSweepStatusJson(now, prev));
      prev = now;
    }
    runner.join();
  }
  const SweepStats final_stats = (*sweeper)->Stats();
  json.Write(FormatSweepStatusJson(final_stats, final_stats));
  run_status.Update(json.Close());
  if (std::string e = DryRunWriteError(config.dryrun_pcap, final_stats); !e.empty()) {
    run_status.Update(absl::DataLossError(e));
  }
  if (std::string w = DroppedRepliesWarning(final_stats); !w.empty()) {
    kCommand.Report(w);
  }
  if (!quiet) fputs(StrCat(kCommand.name(), ": ", FormatSweepSummary(final_stats)).c_str(), stderr);
  // What was not swept is said with -q too.
  if (final_stats.watermark < config.range.end && run_status.ok()) {
    absl::FPrintF(stderr,
                  "%s: stopped early; resume with --start-position %d --expect-walk 0x%016x and "
                  "the same seed, shard, ports, targets and blocklists\n",
                  kCommand.name(), final_stats.watermark, walk_id);
  } else if (final_stats.watermark < config.range.end) {
    // The records written before the error are in the file, the rest is lost: the watermark
    // says what was sent, not what was kept.
    absl::FPrintF(stderr,
                  "%s: stopped by an error; records written before it are kept; `mailsweep "
                  "scan --checkpoint` resumes from what was kept\n",
                  kCommand.name());
  }
  if (writer) {
    file_sink.reset();
    run_status.Update(writer->Close());
  }
  if (!run_status.ok()) {
    kCommand.Report(run_status.message());
    return 1;
  }
  return 0;
}

}  // namespace mailsweep::engine
