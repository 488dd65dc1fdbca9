#include "engine/cli/probe_command.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
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
#include "engine/cli/probe_options.h"
#include "engine/cli/status_line.h"
#include "engine/cli/text_record_sink.h"
#include "engine/prober/probe_target_reader.h"
#include "engine/prober/prober_pool.h"
#include "engine/run/run_header.h"
#include "engine/run/signal_fd.h"
#include "engine/run/walk_options.h"
#include "results/format/record_writer.h"
#include "targets/blocklist.h"
#include "targets/ipv4.h"
#include "targets/port_list.h"

namespace mailsweep::engine {
namespace {

constexpr CommandStart kCommand("mailsweep probe");

using Clock = std::chrono::steady_clock;

void PrintStatus(const ProberStats& s, Clock::time_point start, bool final) {
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  fputs(FormatProbeStatusLine(s, secs, final).c_str(), stderr);
}

// The input's lines, read from a descriptor with poll() so that a stop signal is noticed while
// the input (a pipe from ZMap, say) is silent. A line is at most kMaxLineBytes: the longest
// ZGrab2 line (an address, a DNS name of 253 bytes, a tag, a port) fits many times, and an input
// without line breaks (/dev/zero, a binary file) is refused instead of held in memory.
class InputLines {
 public:
  static constexpr size_t kMaxLineBytes = 4096;
  explicit InputLines(int fd) : fd_(fd) {}
  enum Result { kLine, kEnd, kSignal, kError, kTooLong };
  // kLine: *line is the next line (without "\n", valid until the next call).
  Result Next(SignalFd* signals, std::string_view* line) {
    for (;;) {
      const size_t nl = buf_.find('\n', pos_);
      if ((nl == std::string::npos ? buf_.size() : nl) - pos_ > kMaxLineBytes) return kTooLong;
      if (nl != std::string::npos) {
        *line = std::string_view(buf_).substr(pos_, nl - pos_);
        pos_ = nl + 1;
        return kLine;
      }
      if (eof_) {
        if (pos_ == buf_.size()) return kEnd;
        *line = std::string_view(buf_).substr(pos_);  // a last line without "\n"
        pos_ = buf_.size();
        return kLine;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      pollfd p[2] = {{fd_, POLLIN, 0}, {signals->fd(), POLLIN, 0}};
      if (poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return kError;
      }
      if (p[1].revents & POLLIN) return kSignal;
      if (p[0].revents == 0) continue;
      char chunk[64 * 1024];
      ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return kError;
      }
      if (n == 0) eof_ = true;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  const int fd_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

}  // namespace

int RunProbeCommand(int argc, const char* const* argv) {
  // First, before any thread starts: SIGINT/SIGTERM/SIGHUP arrive on a descriptor.
  SignalFd signals;
  ProbeFlags probe;
  std::string input = "-";
  std::string output = "-";
  std::string format_name;  // default: json to stdout, msr to a file
  std::string ports_text;
  std::vector<std::string> blocklist_files, allow_reserved;
  std::string default_blocklist_file(DefaultBlocklistFile());
  bool status = false, quiet = false;
  uint32_t drain_timeout_s = 0;
  PrivilegeOptions privileges;
  SandboxOptions sandbox;
  FlagSet flags(kCommand.name(), "[flags]",
                "Talks POP3, IMAP and SMTP to each target (STARTTLS/STLS or implicit TLS as the "
                "port implies)\nand writes one record per target: outcome, banner, capabilities "
                "before and inside TLS,\nTLS version, cipher and certificate facts.");
  flags.String("-i,--input", "FILE", "targets, one per line ('-': stdin)", &input);
  flags.String("-o,--output", "FILE", "where records go ('-': stdout)", &output);
  flags.String("-f,--format", "FMT",
               "msr (record file, results/format/FORMAT.md; the default for a file), json (JSON "
               "lines, ZGrab2-like names; the default for stdout) or csv",
               &format_name);
  flags.String("-p,--ports", "LIST",
               "ports for input lines without a port (ZMap saddr lists): 110,143,...", &ports_text);
  RegisterBlocklistFlags(&flags, &blocklist_files, &default_blocklist_file, &allow_reserved);
  probe.Register(&flags, ProbeFlags::kStandalone);
  flags.Uint32("--drain-timeout", "S",
               "once every target has started, wait at most this long after the last start "
               "(0: no limit: every target ends within its own deadlines and retries); targets "
               "still in flight then are cut off without a record, counted, and the exit status "
               "is 1",
               &drain_timeout_s);
  privileges.Register(&flags);
  sandbox.Register(&flags);
  flags.Bool("--status", "print the status line even when stderr is not a terminal", &status);
  flags.Bool("-q,--quiet", "no status line", &quiet);
  flags.Epilog(
      "Input formats: \"ip,port\"; \"ip\" (with -p); ZMap CSV with a header naming saddr (and "
      "sport);\nZGrab2 CSV \"ip, domain, tag, port\" (the domain is sent as TLS server name and\n"
      "recorded); a CSV whose header names ip, port, domain. '#' starts a comment line.\n"
      "Targets in the built-in reserved ranges (see mailsweep targets --help) or in a -b file\n"
      "are skipped and counted, as in a sweep.\n"
      "Example: mailsweep targets -q -p 110,143 --allow-reserved 198.18.0.0/15 198.18.0.0/24 |\n"
      "           mailsweep probe -c 5000 --allow-reserved 198.18.0.0/15 -o out.jsonl\n"
      "SIGINT/SIGTERM/SIGHUP: stop reading, let connections in flight finish, drop queued\n"
      "targets (counted); a second signal stops at once. Records written so far are complete.\n"
      "Every target read ends as a record or is counted as cut off (--drain-timeout, a signal,\n"
      "local errors); the summary line gives both.\n"
      "Once its input and output are open, probe runs as --user (when started as root) with no\n"
      "capability left and no-new-privs set: what servers send is parsed without privileges,\n"
      "under a seccomp filter that allows only what the probers need (a forbidden call: killed\n"
      "by SIGSYS).\n"
      "Exit status: 0 every target has its record, 1 output failed or targets without a record,\n"
      "2 bad usage or input, 3 stopped by a signal.");
  std::vector<std::string> positional;
  if (std::optional<int> exit = kCommand.Parse(&flags, argc, argv, &positional)) return *exit;
  if (!positional.empty()) {
    return kCommand.Usage(
        StrCat("unexpected argument '", positional[0], "' (targets come from -i)"));
  }
  if (absl::Status s = ValidatePrivilegeOptions(privileges); !s.ok()) {
    return kCommand.Usage(s.message());
  }
  if (format_name.empty()) format_name = output == "-" ? "json" : "msr";
  const bool binary = format_name == "msr";
  auto format =
      binary ? absl::StatusOr<TextFormat>(TextFormat::kJsonLines) : ParseTextFormat(format_name);
  if (!format.ok()) return kCommand.Usage(StrCat(format.status().message(), " (or msr)"));
  if (binary && output == "-") {
    return kCommand.Usage("-f msr writes a file (-o FILE); stdout takes json or csv");
  }
  std::vector<uint16_t> ports;
  if (!ports_text.empty()) {
    auto p = targets::ParsePortList(ports_text);
    if (!p.ok()) return kCommand.Usage(StrCat("-p: ", p.status().message()));
    ports = *p;
  }
  if (absl::Status s = AddDefaultBlocklistFile(default_blocklist_file, &blocklist_files); !s.ok()) {
    return kCommand.Usage(s.message());
  }
  std::vector<std::string> notes;
  auto blocklist = targets::Blocklist::Build(blocklist_files, allow_reserved, &notes);
  if (!blocklist.ok()) return kCommand.Usage(blocklist.status().message());
  for (const std::string& note : notes) kCommand.Report(note);
  // Said with -q too, as the sweep's start line says it: what this run refuses.
  kCommand.Report(StrCat("blocklist ", blocklist->all().Count(), " addresses (",
                         DescribeBlocklistFiles(blocklist_files), ")"));
  auto finished = probe.Finish();
  if (!finished.ok()) return kCommand.Usage(finished.status().message());
  // The name that servers will see is said with -q too.
  kCommand.Report(probe.DescribeEhlo(*finished));
  if (std::string note = FitToOpenFileLimit(&*finished); !note.empty()) {
    kCommand.Report(note);
  }
  // A target cut off (a signal, --drain-timeout) gets no record rather than a made-up timeout.
  finished->record_abandoned = false;
  const ProberOptions& opt = *finished;

  FILE* in = input == "-" ? stdin : fopen(input.c_str(), "r");
  if (in == nullptr) return kCommand.Usage(StrCat("cannot open ", input, ": ", strerror(errno)));
  // Records: a record file, or text through stdio.
  FILE* out = nullptr;
  std::unique_ptr<results::RecordFileWriter> writer;
  std::unique_ptr<TextRecordSinkFactory> text_sinks;
  results::RecordSinkFactory* sinks = nullptr;
  if (binary) {
    auto w = results::RecordFileWriter::Create(output, MakeFileHeader(0, 1, 0, ports, argc, argv));
    if (!w.ok()) {
      kCommand.Report(w.status().message());
      return 1;
    }
    writer = *std::move(w);
    sinks = writer.get();
  } else {
    out = output == "-" ? stdout : fopen(output.c_str(), "w");
    if (out == nullptr) {
      absl::FPrintF(stderr, "mailsweep probe: cannot create %s: %s\n", output, strerror(errno));
      return 1;
    }
    text_sinks = std::make_unique<TextRecordSinkFactory>(out, *format);
    sinks = text_sinks.get();
  }
  // The pool reads OpenSSL's configuration and makes its epoll sets, but starts no thread yet.
  auto pool = ProberPool::CreateStopped(opt, sinks);
  if (!pool.ok()) return kCommand.Usage(pool.status().message());
  // Still the only thread: every prober thread starts without privileges and under the filter.
  absl::StatusOr<std::string> as = DropPrivileges(privileges);
  if (!as.ok()) {
    kCommand.Report(as.status().message());
    return 1;
  }
  absl::StatusOr<std::string> sandboxed = InstallSandbox(sandbox, SandboxProfile::kProbe);
  if (!sandboxed.ok()) {
    kCommand.Report(sandboxed.status().message());
    return 1;
  }
  if (!quiet) kCommand.Report(StrCat("running as ", *as, "; ", *sandboxed));
  (*pool)->Start();

  const Clock::time_point start = Clock::now();
  // A status line each second on a terminal (or with --status), none with -q.
  status = !quiet && (status || isatty(STDERR_FILENO));
  // The status line comes from its own thread: the reader may block on a slow pipe.
  std::atomic<bool> reporting{status};
  std::thread reporter;
  if (status) {
    reporter = std::thread([&] {
      while (reporting.load()) {
        for (int i = 0; i < 100 && reporting.load(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (reporting.load()) PrintStatus((*pool)->Stats(), start, false);
      }
    });
  }
  ProbeTargetReader reader(ports);
  std::vector<ProbeTarget> batch;
  InputLines lines(fileno(in));
  std::string_view line;
  uint64_t line_no = 0;
  uint64_t refused_reserved = 0, refused_blocked = 0;  // input targets the blocklists refuse
  int exit_code = 0;
  int stops = 0;  // signals received
  auto on_signal = [&] {
    ++stops;
    if (stops == 1) {
      absl::FPrintF(stderr,
                    "mailsweep probe: stopping: connections in flight finish, queued targets are "
                    "dropped (again to stop at once)\n");
      (*pool)->AbandonQueued();
    }
  };
  for (bool reading = true; reading && stops == 0;) {
    // Records can no longer be written: stop here rather than probe on for nothing (the
    // error is reported below, once).
    if ((*pool)->SinkFailed()) break;
    switch (lines.Next(&signals, &line)) {
      case InputLines::kEnd:
        reading = false;
        continue;
      case InputLines::kSignal:
        (void)signals.Wait(0);
        on_signal();
        continue;
      case InputLines::kError:
        absl::FPrintF(stderr, "mailsweep probe: reading %s: %s\n", input == "-" ? "stdin" : input,
                      strerror(errno));
        exit_code = 2;
        reading = false;
        continue;
      case InputLines::kTooLong:
        absl::FPrintF(stderr, "mailsweep probe: %s:%d: a line longer than %d bytes\n",
                      input == "-" ? "stdin" : input, line_no + 1, InputLines::kMaxLineBytes);
        exit_code = 2;
        reading = false;
        continue;
      case InputLines::kLine:
        break;
    }
    ++line_no;
    batch.clear();
    absl::Status s = reader.ParseLine(line, &batch);
    if (!s.ok()) {
      absl::FPrintF(stderr, "mailsweep probe: %s:%d: %s\n", input == "-" ? "stdin" : input, line_no,
                    s.message());
      exit_code = 2;
      break;
    }
    for (ProbeTarget& t : batch) {
      if (blocklist->all().Contains(t.address)) {
        ++(blocklist->reserved().Contains(t.address) ? refused_reserved : refused_blocked);
        continue;  // its name goes with the batch
      }
      // Back-pressure: the queues are full, wait for the loops to take work.
      while (stops == 0 && !(*pool)->SinkFailed()) {
        if ((*pool)->TrySubmit(t)) break;  // the name is the pool's now
        if (signals.Wait(1).has_value()) on_signal();
      }
    }
  }
  if (in != stdin) fclose(in);
  // Never hidden by -q: a refused target is one the user may have expected a record for.
  if (refused_reserved > 0) {
    absl::FPrintF(stderr,
                  "mailsweep probe: skipped %d targets in reserved ranges (name them with "
                  "--allow-reserved CIDR to probe them)\n",
                  refused_reserved);
  }
  if (refused_blocked > 0) {
    absl::FPrintF(stderr, "mailsweep probe: skipped %d targets in the -b blocklists\n",
                  refused_blocked);
  }
  if (reader.skipped_ipv6() > 0) {
    absl::FPrintF(stderr, "mailsweep probe: skipped %d IPv6 targets\n", reader.skipped_ipv6());
  }

  // Every target ends by itself (its deadlines, its retries): wait for all of them, or, with
  // --drain-timeout, until that long after the last start once nothing waits to start.
  const auto drain_limit = std::chrono::seconds(drain_timeout_s);
  uint64_t last_started = 0;
  Clock::time_point last_start = Clock::now();
  while (stops < 2) {
    if ((*pool)->Idle()) break;
    ProberStats s = (*pool)->Stats();
    const Clock::time_point now = Clock::now();
    if (s.started != last_started) {
      last_started = s.started;
      last_start = now;
    }
    if (drain_timeout_s != 0 && s.queued == 0 && now - last_start > drain_limit) break;
    if (signals.Wait(10).has_value()) on_signal();
  }
  absl::Status drained = (*pool)->Drain(absl::Milliseconds(100));
  reporting = false;
  if (reporter.joinable()) reporter.join();
  ProberStats final_stats = (*pool)->Stats();
  if (status) PrintStatus(final_stats, start, true);
  // Every target the pool took ends as a record or is counted here: records + cut off ==
  // targets (tests/probes check it).
  const uint64_t cut_off = final_stats.abandoned + final_stats.unprobed;
  if (cut_off > 0 || !quiet) {
    absl::FPrintF(
        stderr, "mailsweep probe: %d targets: %d records, %d without a record%s%s\n",
        final_stats.submitted, final_stats.done, cut_off,
        final_stats.abandoned == 0 ? ""
        : (*pool)->SinkFailed()    ? " (records could not be written)"
        : stops > 0                ? " (stopped by a signal)"
                                   : " (cut off by --drain-timeout)",
        final_stats.retried > 0 ? StrCat("; ", final_stats.retried, " retries") : std::string());
  }
  if (stops > 0 && exit_code == 0) exit_code = 3;
  if (final_stats.unprobed > 0) {
    absl::FPrintF(stderr,
                  "mailsweep probe: %d targets not probed: opening a connection failed on this "
                  "machine for 10 s (%d local errors; open files, local ports, --source-ip?)\n",
                  final_stats.unprobed, final_stats.local_errors);
  }
  if (cut_off > 0 && stops == 0 && exit_code == 0) exit_code = 1;
  // The pool's sinks and the writer report the same write error: say it once.
  std::string reported;
  auto report = [&](const absl::Status& s) {
    if (s.ok()) return;
    exit_code = 1;
    if (std::string(s.message()) == reported) return;
    reported = std::string(s.message());
    // The record file's errors name it; text output is named here.
    kCommand.Report(binary ? reported : StrCat(output == "-" ? "stdout" : output, ": ", reported));
  };
  report(drained);
  pool->reset();  // its sinks go before the file they write to
  if (writer) report(writer->Close());
  if (out != nullptr && out != stdout && fclose(out) != 0) exit_code = 1;
  return exit_code;
}

}  // namespace mailsweep::engine
