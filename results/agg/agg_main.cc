// mailsweep-agg: reads mailsweep record files (results/format/FORMAT.md) without privileges.
//   dump    records as JSON lines or CSV
//   info    a file's header and counts
//   report  ShadowServer-style statistics: table, summary.csv/json, per-host CSVs, report.html
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <maxminddb.h>

#include "base/build_info.h"
#include "base/flag_set.h"
#include "base/strings.h"
#include "base/text_format.h"
#include "results/agg/aggregator.h"
#include "results/agg/geo.h"
#include "results/agg/report_output.h"
#include "results/agg/report_table.h"
#include "results/format/chunk_format.h"
#include "results/format/record_reader.h"
#include "results/format/record_text.h"

namespace mailsweep::results {
namespace {

// While an Aggregator runs: a progress line on stderr once a second, from its second second on
// (short runs, such as tests, print none).
class ProgressLine {
 public:
  explicit ProgressLine(const Aggregator* agg) : agg_(agg), thread_([this] { Loop(); }) {}
  ~ProgressLine() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  static std::string Size(uint64_t bytes) {
    return bytes >= (uint64_t{1} << 30) ? fmt::format("{:.1f} GB", bytes / 1e9)
                                         : fmt::format("{:.0f} MB", bytes / 1e6);
  }
  void Loop() {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) {
      const AggregateProgress p = agg_->progress();
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (p.phase == AggregateProgress::kReading && p.bytes_total > 0) {
        const double done = static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total);
        fmt::print(stderr, "mailsweep-agg: reading {:.0f}% ({} of {}), {} records, {:.0f} s{}\n",
                   100 * done, Size(p.bytes_read), Size(p.bytes_total), p.records, s,
                   done > 0.01 ? fmt::format(", ETA {:.0f} s", s / done - s) : "");
      } else if (p.phase == AggregateProgress::kJoining) {
        fmt::print(stderr, "mailsweep-agg: joining: {} of {} partitions, {:.0f} s\n",
                   p.partitions_joined, p.partitions, s);
      } else if (p.phase == AggregateProgress::kSorting) {
        fmt::print(stderr, "mailsweep-agg: sorting the host rows, {:.0f} s\n", s);
      }
    }
  }

  const Aggregator* agg_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// One damage, by kind (FORMAT.md, "What a reader reports"): "torn tail" and "not closed" are
// what a killed writer leaves; every other kind is corruption.
void PrintCorruption(const Corruption& c) {
  fmt::print(stderr, "mailsweep-agg: {}: {} at offset {}: {} bytes dropped\n", c.file,
             c.torn_tail ? DamageName(c.kind) : StrCat("corruption (", DamageName(c.kind), ")"),
             c.offset, c.bytes);
  fmt::print(stderr, "  reason: {}\n", c.reason);
}

// Parses flags; returns -1 to go on, else the exit code.
int ParseFlags(FlagSet& flags, int argc, const char* const* argv, std::vector<std::string>* pos,
               const char* name, bool need_files) {
  if (absl::Status s = flags.Parse(argc, argv, pos); !s.ok()) {
    fmt::print(stderr, "mailsweep-agg {}: {}\n", name, s.message());
    return 2;
  }
  if (flags.help_requested()) {
    fputs(flags.Help().c_str(), stdout);
    return 0;
  }
  if (need_files && pos->empty()) {
    fmt::print(stderr, "mailsweep-agg {}: no record files given (see --help)\n", name);
    return 2;
  }
  return -1;
}

int RunDump(int argc, const char* const* argv) {
  std::string format = "json", kind = "all";
  uint64_t limit = 0;
  FlagSet flags("mailsweep-agg dump", "[flags] FILE...",
                "Prints the records of record files, one per line, in file order.");
  flags.String("-f,--format", "json|csv",
               "json: JSON lines in the schema of `mailsweep probe -f json` (ip, port, status, "
               "outcome, banner, tls.version, tls.certificate...), ZMap-like for sweep records "
               "(saddr, sport, classification); csv: one schema for both kinds",
               &format);
  flags.String("-k,--kind", "all|sweep|probe", "which records to print", &kind);
  flags.Uint64("-n,--limit", "N", "stop after N records per file (0: all)", &limit);
  flags.Epilog(
      "Corruption and torn tails are reported on stderr; the dump goes on with the next block.\n"
      "Example: mailsweep-agg dump --kind probe run.msr | jq -r 'select(.status==\"success\") "
      "| .ip'\nExit status: 0 done, 1 a file unreadable or corrupt, 2 bad usage.");
  std::vector<std::string> files;
  if (int rc = ParseFlags(flags, argc, argv, &files, "dump", true); rc >= 0) return rc;
  if (format != "json" && format != "csv") {
    fmt::print(stderr, "mailsweep-agg dump: --format must be json or csv\n");
    return 2;
  }
  if (kind != "all" && kind != "sweep" && kind != "probe") {
    fmt::print(stderr, "mailsweep-agg dump: --kind must be all, sweep or probe\n");
    return 2;
  }
  const bool csv = format == "csv";
  if (csv) fputs(kRecordCsvHeader(), stdout);
  int rc = 0;
  std::string buf;
  for (const std::string& path : files) {
    auto reader = RecordFileReader::Open(path);
    if (!reader.ok()) {
      fmt::print(stderr, "mailsweep-agg: {}\n", reader.status().message());
      rc = 1;
      continue;
    }
    uint64_t printed = 0;
    auto emit = [&](std::string line) {
      if (limit && printed >= limit) return;
      ++printed;
      buf += line;
      if (!csv) buf.push_back('\n');
      if (buf.size() > (1 << 16)) {
        fwrite(buf.data(), 1, buf.size(), stdout);
        buf.clear();
      }
    };
    MaterializingVisitor v;
    if (kind != "probe") {
      v.on_sweep = [&](const SweepRecord& r) { emit(csv ? SweepToCsv(r) : SweepToJson(r)); };
    }
    if (kind != "sweep") {
      v.on_probe = [&](const ProbeRecord& r) { emit(csv ? ProbeToCsv(r) : ProbeToJson(r)); };
    }
    ReadStats stats = (*reader)->Scan(&v, [&](const Corruption& c) {
      fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
      fflush(stdout);
      PrintCorruption(c);
    });
    if (v.lost_definitions() > 0) {
      fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
      PrintCorruption(LostDefinitions(path, v.lost_definitions()));
      rc = 1;
    }
    if (stats.corruptions) rc = 1;
  }
  fwrite(buf.data(), 1, buf.size(), stdout);
  return fflush(stdout) == 0 ? rc : 1;
}

// "2026-12-05": four digits, two, two, with dashes, and a day that exists in that month.
bool IsCalendarDate(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  const int year = std::stoi(std::string(d.substr(0, 4)));
  const int month = std::stoi(std::string(d.substr(5, 2)));
  const int day = std::stoi(std::string(d.substr(8, 2)));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

int RunInfo(int argc, const char* const* argv) {
  FlagSet flags("mailsweep-agg info", "[flags] FILE...",
                "Prints each file's header (format and tool version, scan id, seed, shard, ports, "
                "start time,\ncommand line) and what it holds: chunks, records per kind, "
                "certificates, bytes per record,\ncorruption.");
  flags.Epilog("Exit status: 0 done, 1 a file unreadable or corrupt, 2 bad usage.");
  std::vector<std::string> files;
  if (int rc = ParseFlags(flags, argc, argv, &files, "info", true); rc >= 0) return rc;
  int rc = 0;
  for (const std::string& path : files) {
    auto reader = RecordFileReader::Open(path);
    if (!reader.ok()) {
      fmt::print(stderr, "mailsweep-agg: {}\n", reader.status().message());
      rc = 1;
      continue;
    }
    const FileHeader& h = (*reader)->header();
    RecordVisitor counter;
    ReadStats s = (*reader)->Scan(&counter, PrintCorruption);
    std::string ports;
    for (uint16_t p : h.ports) StrAppend(&ports, ports.empty() ? "" : ",", p);
    uint64_t records = s.sweep_records + s.probe_records;
    fmt::print(
        "file:            {}\nsize:            {} bytes ({} blocks)\nformat version:  {}\n"
        "tool version:    {}\nscan id:         {}\nseed:            {}\nshard:           {} of "
        "{}\nports:           {}\nstart time:      {}\ncommand line:    {}\nchunks:          "
        "{}\nsweep records:   {}\nprobe records:   {}\ncertificates:    {}\n",
        path, (*reader)->size(), (*reader)->blocks(), h.format_version, h.tool_version, h.scan_id,
        h.seed, h.shard, h.shards, ports, FormatTimeUs(h.start_time_us), h.command_line, s.chunks,
        s.sweep_records, s.probe_records, s.certificates);
    if (h.format_version >= kFirstSealedVersion) {
      fmt::print("file id:         {:016x}\nclosed:          {}\n", h.file_id,
                 (*reader)->closed() ? "yes (ends with its end record)"
                                     : "no (the writer did not finish)");
    }
    if (records) {
      fmt::print("bytes per record: {:.2f}\n",
                 static_cast<double>((*reader)->size()) / static_cast<double>(records));
    }
    fmt::print("corruption:      {} event(s), {} bytes dropped, {} torn-tail bytes\n\n",
               s.corruptions, s.dropped_bytes, s.torn_tail_bytes);
    if (s.corruptions) rc = 1;
  }
  return rc;
}

// Opens the database a flag names (GeoDb, AsnDb); an empty flag leaves `*db` null. On error
// says so on stderr and returns false.
template <typename Db>
bool OpenOptional(const std::string& path, std::unique_ptr<Db>* db) {
  if (path.empty()) return true;
  auto opened = Db::Open(path);
  if (!opened.ok()) {
    fmt::print(stderr, "mailsweep-agg report: {}\n", opened.status().message());
    return false;
  }
  *db = *std::move(opened);
  return true;
}

int RunReport(int argc, const char* const* argv) {
  std::string geo_path, asn_path, out_dir = "mailsweep-report", policy_name = "shadowserver", date;
  uint32_t threads = std::max(1u, std::thread::hardware_concurrency());
  uint32_t top = 15;
  bool no_hosts = false, quiet = false, strict = false;
  FlagSet flags(
      "mailsweep-agg report", "[flags] FILE...",
      "Rolls probe records up into ShadowServer-style statistics: joins per address the related\n"
      "ports (POP3 110+995, IMAP 143+993, SMTP 25/587+465), classifies each host x protocol\n"
      "(starttls, plaintext_and_implicit, no_tls, implicit_only, no_service), counts country x\n"
      "protocol x class and the hosts \"without TLS\" under the chosen policy. Any number of "
      "files\n"
      "(shards, machines, runs); the latest probe of an (address, port) wins.");
  flags.String("-g,--geo", "FILE",
               "country database: a MaxMind DB (*.mmdb: GeoLite2-Country, DB-IP, "
               "ip-location-db) or a CSV of first_ip,last_ip,country ranges; unknown: ZZ",
               &geo_path);
  flags.String("--asn", "FILE",
               "optional ASN database for the per-host CSVs' asn column: a MaxMind DB "
               "(*.mmdb with autonomous_system_number: GeoLite2-ASN, ip-location-db asn) or a CSV "
               "of first_ip,last_ip,asn ranges",
               &asn_path);
  flags.String("-o,--out", "DIR", "where the report files go (created)", &out_dir);
  flags.String("-P,--policy", "NAME",
               "what counts as \"without TLS\": shadowserver (no working TLS reachable for the "
               "protocol), no-starttls (the plaintext port has no working STARTTLS), "
               "plaintext-login (the plaintext port offers a plaintext login before TLS)",
               &policy_name);
  flags.Uint32("-t,--threads", "N", "worker threads", &threads);
  flags.String("--date", "YYYY-MM-DD",
               "prefix of the per-host files (default: the first file's start date)", &date);
  flags.Uint32("--top", "N", "countries in the stdout table", &top);
  flags.Bool("--no-hosts",
             "no per-host CSVs: only the summary (faster: reads only each probe's summary fields; "
             "less memory)",
             &no_hosts);
  flags.Bool("-q,--quiet", "no table on stdout", &quiet);
  flags.Bool("--strict", "exit 1 when any corruption was found (torn tails excepted)", &strict);
  flags.Epilog(
      "Files written to DIR: summary.csv (country,protocol,class,hosts; class without_tls is the\n"
      "policy's count), summary.json, report.html (self-contained, SVG charts), and\n"
      "DATE-scan_{pop3,imap,smtp}.csv (every host that speaks the protocol or implicit TLS) and\n"
      "DATE-scan_{pop3,imap,smtp}_vulnerable.csv (the hosts without TLS), with exactly\n"
      "ShadowServer's columns in their order; unknown columns are empty.\n"
      "Example: mailsweep-agg report --geo lab-geo.csv --out report/ shard-*.msr\n"
      "Exit status: 0 done, 1 a file unreadable (or corrupt with --strict) or output failed, "
      "2 bad usage\n(also an --out that is not a writable directory: checked before reading).");
  std::vector<std::string> files;
  if (int rc = ParseFlags(flags, argc, argv, &files, "report", true); rc >= 0) return rc;
  std::optional<Policy> policy = ParsePolicy(policy_name);
  if (!policy) {
    fmt::print(stderr, "mailsweep-agg report: unknown --policy {}\n", Quote(policy_name));
    return 2;
  }
  // The date is part of file names in DIR: a calendar date and nothing else (no '/', no "..").
  if (!date.empty() && !IsCalendarDate(date)) {
    fmt::print(stderr, "mailsweep-agg report: --date {} is not a date YYYY-MM-DD\n", Quote(date));
    return 2;
  }
  if (threads == 0 || threads > 1024) {
    fmt::print(stderr, "mailsweep-agg report: --threads: 1 to 1024, not {}\n", threads);
    return 2;
  }
  if (absl::Status s = CheckReportDir(out_dir); !s.ok()) {
    fmt::print(stderr, "mailsweep-agg report: --out {}\n", s.message());
    return 2;
  }
  std::unique_ptr<GeoDb> geo;
  std::unique_ptr<AsnDb> asn;
  if (!OpenOptional(geo_path, &geo) || !OpenOptional(asn_path, &asn)) return 2;
  Aggregator agg({.policy = *policy,
                  .geo = geo.get(),
                  .asn = asn.get(),
                  .threads = static_cast<int>(threads),
                  .collect_hosts = !no_hosts});
  int rc = 0;
  for (const std::string& f : files) {
    if (absl::Status s = agg.AddFile(f); !s.ok()) {
      fmt::print(stderr, "mailsweep-agg: {}\n", s.message());
      rc = 1;
    }
  }
  if (agg.summary().files.empty()) return 1;
  const int64_t first_start = agg.summary().first_start_time_us / 1000000;
  {
    ProgressLine progress(&agg);
    agg.Run();
  }
  for (const Corruption& c : agg.summary().corruptions) PrintCorruption(c);
  if (strict && agg.summary().read.corruptions) rc = 1;
  if (!quiet) {
    const Summary& sum = agg.summary();
    fmt::print(stderr,
               "mailsweep-agg: {} records; reading {:.3f} s (CPU {:.3f} s), joining and counting "
               "{:.3f} s (CPU {:.3f} s)\n",
               sum.read.probe_records + sum.read.sweep_records, sum.read_seconds,
               sum.read_cpu_seconds, sum.join_seconds, sum.join_cpu_seconds);
  }
  if (date.empty()) date = FormatDate(first_start > 0 ? first_start : time(nullptr));
  if (!quiet) PrintReportTable(agg, stdout, static_cast<int>(top));
  if (agg.hosts().size() >= 1'000'000) {
    fmt::print(stderr, "mailsweep-agg: writing the per-host CSVs: {} host rows\n",
               agg.hosts().size());
  }
  if (absl::Status s = WriteReportFiles(agg, out_dir, date, !no_hosts); !s.ok()) {
    fmt::print(stderr, "mailsweep-agg report: {}\n", s.message());
    return 1;
  }
  if (!quiet && no_hosts) {
    fmt::print(
        "\nwrote {}/summary.csv, summary.json and report.html (no per-host CSVs: --no-hosts)\n",
        out_dir);
  } else if (!quiet) {
    fmt::print("\nwrote {}/summary.csv, summary.json, report.html and {}-scan_*.csv\n", out_dir,
               date);
  }
  return rc;
}

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int, const char* const*);
};
constexpr Command kCommands[] = {
    {"dump", "print records as JSON lines or CSV", RunDump},
    {"info", "print a file's header and counts", RunInfo},
    {"report", "ShadowServer-style statistics by country and protocol", RunReport},
};

void Usage(FILE* out) {
  fputs(
      "Usage: mailsweep-agg COMMAND [flags] FILE...\n\nReads mailsweep record files (no "
      "privileges needed).\n\nCommands:\n",
      out);
  for (const Command& c : kCommands) fprintf(out, "  %-8s %s\n", c.name, c.summary);
  fputs(
      "\n`mailsweep-agg COMMAND --help` explains every flag of a command; `mailsweep-agg "
      "--version`\nprints the version and that of libmaxminddb.\n",
      out);
}

// Every command's exit: standard output is flushed, and if any write to it failed (a full disk,
// a closed pipe) the run fails with a message, whatever the command returned.
int FinishStdout(int rc) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "mailsweep-agg: writing standard output failed: %s\n", strerror(errno));
    return rc == 0 ? 1 : rc;
  }
  return rc;
}

}  // namespace
}  // namespace mailsweep::results

int main(int argc, char** argv) {
  using mailsweep::results::FinishStdout;
  using mailsweep::results::kCommands;
  if (argc < 2) {
    mailsweep::results::Usage(stderr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    mailsweep::results::Usage(stdout);
    return FinishStdout(0);
  }
  if (name == "--version") {
    // libmaxminddb reads the --geo databases; the run-time string, not the build's.
    fputs(mailsweep::VersionHeader("mailsweep-agg").c_str(), stdout);
    printf("libmaxminddb %s\n", MMDB_lib_version());
    return FinishStdout(0);
  }
  for (const auto& c : kCommands) {
    if (name == c.name) return FinishStdout(c.run(argc - 1, argv + 1));
  }
  fprintf(stderr, "mailsweep-agg: unknown command '%s'\n\n", argv[1]);
  mailsweep::results::Usage(stderr);
  return 2;
}
