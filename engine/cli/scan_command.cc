#include "engine/cli/scan_command.h"

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/flag_set.h"
#include "base/privileges.h"
#include "base/sandbox.h"
#include "base/strings.h"
#include "engine/cli/command_start.h"
#include "engine/cli/probe_options.h"
#include "engine/cli/status_json_file.h"
#include "engine/cli/status_line.h"
#include "engine/cli/sweep_options.h"
#include "engine/run/run_header.h"
#include "engine/run/signal_fd.h"
#include "engine/run/walk_options.h"
#include "engine/scan/checkpoint.h"
#include "engine/scan/scan_observer.h"
#include "engine/scan/scan_pipeline.h"

namespace mailsweep::engine {
namespace {

constexpr CommandStart kCommand("mailsweep scan");

// The scan as the user sees it: the resume point and stop messages and the status line on
// stderr (none with -q), the status as JSON lines in --status-json's file.
class ScanStatusPrinter final : public ScanObserver {
 public:
  // `json` is borrowed and must outlive the printer.
  ScanStatusPrinter(bool quiet, StatusJsonFile* json) : quiet_(quiet), json_(json) {}

  void OnResume(const ScanResumeInfo& r) override {
    // Lost records are reported with -q too.
    if (r.corruptions > 0) {
      absl::FPrintF(stderr,
                    "%s: warning: the earlier files hold %d damaged place(s), %d bytes dropped: "
                    "their records are lost and not looked for again\n",
                    kCommand.name(), r.corruptions, r.dropped_bytes);
      for (const std::string& note : r.corruption_notes) {
        absl::FPrintF(stderr, "%s:   %s\n", kCommand.name(), note);
      }
    }
    if (quiet_) return;
    absl::FPrintF(stderr,
                  "%s: resuming at position %d of [%d, %d); %d earlier file(s) hold %d swept and "
                  "%d probed targets; %d open hosts to probe first%s; writing %s\n",
                  kCommand.name(), r.position, r.range.begin, r.range.end, r.files, r.swept,
                  r.probed, r.pending,
                  r.torn_tail_bytes
                      ? StrCat(" (", r.torn_tail_bytes, " bytes of a torn tail skipped)")
                      : std::string(),
                  r.file);
  }
  absl::Status OnStart() override {
    if (!json_->Open()) return absl::UnavailableError(StrCat("cannot write ", json_->path()));
    return absl::OkStatus();
  }
  void OnStop(int stops) override {
    if (quiet_) return;
    fputs(stops == 1 ? "mailsweep scan: stopping: no new SYNs, finishing probes in flight "
                       "(again to abandon them)\n"
                     : "mailsweep scan: abandoning; the checkpoint resumes the rest\n",
          stderr);
  }
  void OnReload(const targets::ReloadOutcome& outcome, uint64_t excluded_total) override {
    // With -q too: whoever sent the SIGHUP must learn whether the opt-out is in force.
    for (const std::string& line : FormatReload(outcome, excluded_total)) kCommand.Report(line);
  }
  void OnProgress(const ScanProgress& now, const ScanProgress& prev) override {
    if (!quiet_) fputs(FormatScanStatusLine(now, prev).c_str(), stderr);
    json_->Write(FormatScanStatusJson(now));
  }
  void OnEnd(const ScanProgress& last) override {
    json_->Write(FormatScanStatusJson(last));
    json_status_ = json_->Close();
  }
  // Whether every --status-json line was written (known after OnEnd).
  const absl::Status& json_status() const { return json_status_; }

 private:
  absl::Status json_status_;
  const bool quiet_;
  StatusJsonFile* const json_;
};

}  // namespace

int RunScanCommand(int argc, const char* const* argv) {
  // Before any thread exists, so every thread inherits the blocked SIGINT/SIGTERM.
  SignalFd signals;

  WalkOptions walk_options;
  SweepFlags sweep;
  ProbeFlags probe;
  probe.options.record_abandoned = false;
  // A survey's open ports are only as complete as its SYNs: one copy misses the hosts whose SYN
  // met loss or a full listen queue (a busy server, our own probes to it). Two copies, 2 s
  // apart, outlast such an episode (tests/pipeline/scan_load.sh is exact only so); `sweep`
  // keeps ZMap's single copy.
  sweep.probes = 2;
  sweep.probe_spacing = 2;
  ScanConfig scan;
  StatusJsonFile status_json;
  bool quiet = false;
  PrivilegeOptions privileges;
  SandboxOptions sandbox;
  FlagSet flags(kCommand.name(), "[flags] -o FILE CIDR...",
                "Sweeps the targets for open mail ports and probes every live one as it is found "
                "(POP3, IMAP,\nSMTP; STARTTLS/STLS or implicit TLS as the port implies), writing "
                "one record file: a sweep\nrecord per responding (address, port) and a probe "
                "record per open one. When the probers fall\nbehind, the sweep slows down instead "
                "of dropping hosts. SIGINT/SIGTERM stop it cleanly and\nleave a checkpoint; "
                "--resume continues exactly there. SIGHUP re-reads the -b files: what they\n"
                "newly block is skipped from then on. Needs CAP_NET_RAW.");
  walk_options.Register(&flags);
  sweep.Register(&flags);
  probe.Register(&flags, ProbeFlags::kInScan);
  flags.String("-o,--output", "FILE",
               "record file (results/format/FORMAT.md); a resumed run writes FILE.1, FILE.2, ...",
               &scan.output);
  flags.String("--checkpoint", "FILE",
               "where to keep the resume point (default: FILE with .msr replaced by .ckpt)",
               &scan.checkpoint_path);
  flags.Double("--checkpoint-interval", "SECONDS", "how often the checkpoint is renewed",
               &scan.checkpoint_interval_s);
  flags.String("--resume", "CHECKPOINT",
               "continue the scan of this checkpoint; all other flags must be the same, but the "
               "-b files may have grown",
               &scan.resume_path);
  flags.Double("--stop-timeout", "SECONDS",
               "after SIGINT/SIGTERM, how long probes in flight may take before they are "
               "left for the resume",
               &scan.stop_timeout_s);
  status_json.Register(&flags);
  privileges.Register(&flags);
  sandbox.Register(&flags);
  flags.Bool("-q,--quiet",
             "no status line or summary (the start line and lost or missing records are still "
             "reported)",
             &quiet);
  flags.Epilog(
      "Once its sockets and files are open (the record file, both checkpoint slots FILE.ckpt "
      "and\nFILE.ckpt.next, --status-json), the scan runs as --user (when started as root) with "
      "no capability\nleft and no-new-privs set.\n"
      "Example (in the lab's scanner namespace):\n"
      "  mailsweep scan -p 110,143,993,995 -r 100000 --seed 7 --allow-reserved 198.18.0.0/15 \\\n"
      "      -o lab.msr 198.18.0.0/15\n"
      "  mailsweep-agg report --geo lab-geo.csv --out report lab.msr*\n"
      "Opt-outs: SIGHUP re-reads every -b file (the reserved list and --allow-reserved stay): "
      "targets in\nwhat they newly block are skipped from then on, replies from them dropped, "
      "and the\ncheckpoint records them; a failed re-read keeps the list in force. A resume "
      "may add to the\n-b files; one that lacks an address the earlier runs left out is "
      "refused.\n"
      "Every open (address, port) found ends with a probe record, is counted as left for a "
      "resume, or\nis counted as opted out.\n"
      "Exit status: 0 complete, 1 runtime failure or targets left without a record (also a "
      "completed\nresume whose earlier files were damaged: their records are missing), 2 bad "
      "usage or a refused\nresume (a record file the checkpoint names is missing, damaged or "
      "another scan's), 3 stopped\n(resume with --resume FILE.ckpt).");
  std::vector<std::string> positional;
  if (std::optional<int> exit = kCommand.Parse(&flags, argc, argv, &positional)) return *exit;
  sweep.rate_given = flags.WasSet("-r");
  // Before any file is made: a bad --user is bad usage, not a half-made run.
  if (absl::Status s = ValidatePrivilegeOptions(privileges); !s.ok()) {
    return kCommand.Usage(s.message());
  }
  if (scan.output.empty()) return kCommand.Usage("-o FILE is required: where the records go");
  if (scan.checkpoint_path.empty()) {
    // OUTPUT.msr -> OUTPUT.ckpt, so `mailsweep-agg report OUTPUT.msr*` takes only record files.
    std::string base = scan.output;
    if (base.size() > 4 && base.ends_with(".msr")) base.resize(base.size() - 4);
    scan.checkpoint_path = !scan.resume_path.empty() ? scan.resume_path : base + ".ckpt";
  }
  if (scan.checkpoint_interval_s <= 0)
    return kCommand.Usage("--checkpoint-interval must be positive");
  // The prober's flags need nothing of the machine: checked before the route lookup.
  auto prober = probe.Finish();
  if (!prober.ok()) return kCommand.Usage(prober.status().message());
  // A resume point that cannot be read is bad input wherever the command runs: said before the
  // route lookup (the pipeline loads it again and checks that it matches).
  std::optional<Checkpoint> resume_point;
  if (!scan.resume_path.empty()) {
    auto cp = Checkpoint::Load(scan.resume_path);
    if (!cp.ok()) return kCommand.Usage(StrCat("cannot resume: ", cp.status().message()));
    resume_point = *std::move(cp);
  }
  // A resume walks its first run's space: the targets minus what that run blocked.
  auto walk =
      ResolveWalk(walk_options, positional,
                  resume_point && resume_point->blocked_known ? &resume_point->blocked : nullptr);
  if (!walk.ok()) return kCommand.Usage(walk.status().message());
  for (const std::string& note : walk->notes) {
    kCommand.Report(StrCat("warning: ", note));
  }
  auto config = BuildSweeperConfig(sweep, *walk, 0);
  if (!config.ok()) {
    if (absl::IsInvalidArgument(config.status())) return kCommand.Usage(config.status().message());
    kCommand.Report(config.status().message());
    return 1;
  }
  // Before any file is made: without the capability the sweep could not start.
  if (absl::Status s = CheckPacketCapability(); !s.ok() && config->dryrun_pcap.empty()) {
    kCommand.Report(s.message());
    return 1;
  }
  if (std::string note = FitToOpenFileLimit(&*prober); !note.empty()) {
    kCommand.Report(note);
  }
  scan.sweeper = *config;
  scan.prober = *prober;
  scan.walk = &*walk;
  scan.command_line = JoinCommandLine(argc, argv);
  // Every thread of the run starts after this: none of them has a privilege, and all run under
  // the seccomp filter.
  scan.set_up_done = [&privileges, &sandbox, quiet]() -> absl::Status {
    absl::StatusOr<std::string> as = DropPrivileges(privileges);
    if (!as.ok()) return as.status();
    absl::StatusOr<std::string> sandboxed = InstallSandbox(sandbox, SandboxProfile::kScan);
    if (!sandboxed.ok()) return sandboxed.status();
    if (!quiet) kCommand.Report(StrCat("running as ", *as, "; ", *sandboxed));
    return absl::OkStatus();
  };

  // The start line (what is about to be sent, the EHLO name servers will see) is said with -q.
  absl::FPrintF(stderr, "%s: %s; probing with %d thread(s), at most %d connections; %s\n",
                kCommand.name(), DescribeSweep(scan.sweeper, *walk, walk->shards, walk->shard),
                scan.prober.threads, scan.prober.max_connections, probe.DescribeEhlo(scan.prober));
  ScanStatusPrinter printer(quiet, &status_json);
  auto summary = RunScan(scan, &signals, &printer);
  if (!summary.ok()) {
    kCommand.Report(summary.status().message());
    return absl::IsInvalidArgument(summary.status()) || absl::IsFailedPrecondition(summary.status())
               ? 2
               : 1;
  }
  if (!quiet) {
    absl::FPrintF(
        stderr,
        "%s: %s: sent %d SYNs, %d open; %d probes done (%d retries; loop lag at most %d ms)"
        "%s%s%s%s; records in %s\n",
        kCommand.name(),
        summary->complete  ? "done"
        : summary->stopped ? "stopped"
                           : "incomplete",
        summary->targets_sent, summary->open, summary->probes_done, summary->probes_retried,
        summary->loop_lag_max_ms,
        summary->reprobed ? StrCat(" (", summary->reprobed, " left by the last run)")
                          : std::string(),
        summary->skipped_known ? StrCat(", ", summary->skipped_known, " found again and skipped")
                               : std::string(),
        summary->paused_ms ? StrCat(", senders held back ", summary->paused_ms, " ms in all")
                           : std::string(),
        OptOutText(summary->sweep, summary->opted_out), summary->output_file);
  }
  // Targets left without a record are reported with -q too.
  if (!summary->complete) {
    absl::FPrintF(stderr,
                  "%s: %d probes left for later; resume with the same flags and --resume %s\n",
                  kCommand.name(), summary->probes_abandoned, scan.checkpoint_path);
  }
  if (std::string w = DroppedRepliesWarning(summary->sweep); !w.empty()) {
    kCommand.Report(w);
  }
  // The status file is output too: a failed write fails a run that would otherwise succeed.
  if (!printer.json_status().ok()) {
    kCommand.Report(printer.json_status().message());
    if (summary->complete) return 1;
  }
  // So is a dry run's pcap file.
  if (std::string e = DryRunWriteError(scan.sweeper.dryrun_pcap, summary->sweep); !e.empty()) {
    kCommand.Report(e);
    if (summary->complete) return 1;
  }
  // A complete scan whose earlier files were damaged lacks the records the damage took: the
  // walk does not come back for them, so the survey is not whole (said with -q too).
  if (summary->complete && summary->prior_corruptions > 0) {
    absl::FPrintF(stderr,
                  "%s: done, but %d damaged place(s) in the earlier files (%d bytes) may have "
                  "taken records with them: those targets are missing from the results\n",
                  kCommand.name(), summary->prior_corruptions, summary->prior_dropped_bytes);
    return 1;
  }
  // A scan that was not stopped yet left targets without a record (local errors, a sink
  // failure): a failure, not a pause.
  return summary->complete ? 0 : summary->stopped ? 3 : 1;
}

}  // namespace mailsweep::engine
