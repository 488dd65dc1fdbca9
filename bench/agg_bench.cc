// Benchmark of `mailsweep-agg report`'s roll-up: generates N synthetic probe records (default
// 10 million; countries in published proportions, ~50% of hosts without TLS;
// results/agg/synthetic.h), times the Aggregator (summary only, and with the per-host details the
// ShadowServer CSVs need) on 1 and on all cores, and in the same run the same roll-up by a plain
// baseline: the records as CSV (with the country already joined in, a favour to the baseline)
// through awk, which joins the ports per host and counts country x protocol x class. Also prints
// bytes per record of our format, of a masscan-style binary record, and of JSON lines. One JSON
// object on stdout.
//
//   build/bench/agg_bench [--records N] [--dir DIR] [--keep] [--repeat N]
//
// --repeat N (default 5): runs of each configuration, alternating; the figures are the run of
// median CPU time, and the best CPU time beside it.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "base/text_format.h"
#include "bench/cpu_time.h"
#include "results/agg/aggregator.h"
#include "results/agg/geo.h"
#include "results/agg/synthetic.h"
#include "results/format/record_text.h"
#include "results/format/record_writer.h"

using namespace mailsweep::results;
using mailsweep::bench::CpuSeconds;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// masscan's binary output (out-binary.c): per banner record a type byte, a length, then
// timestamp (4), address (4), port (2), app protocol (2), TTL (1) and the banner text; a
// certificate is a banner record of its own (base64 of the DER, once per host and port).
uint64_t MasscanStyleBytes(const ProbeRecord& p, bool with_certificate) {
  auto record = [](uint64_t text) { return 1 + (text + 13 >= 128 ? 2 : 1) + 13 + text; };
  uint64_t bytes = record(p.banner.size());
  if (!p.capabilities.empty()) bytes += record(p.capabilities.size());
  if (p.tls.leaf && with_certificate) bytes += record((p.tls.leaf->der.size() + 2) / 3 * 4);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t records = 10'000'000;
  std::string dir = "/tmp/mailsweep-agg-bench";
  bool keep = false;
  int repeat = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--records" && i + 1 < argc) {
      records = strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, atoi(argv[++i]));
    } else {
      fprintf(stderr, "usage: agg_bench [--records N] [--dir DIR] [--keep] [--repeat N]\n");
      return 2;
    }
  }
  mkdir(dir.c_str(), 0755);
  SyntheticOptions o;
  o.hosts = (records + 6) / 7;
  o.base = 0x0a000000;  // a /11 of synthetic hosts (no packets are sent)
  o.prefix_len = 11;
  o.starttls = 0.30;
  o.plain = 0.50;
  o.implicit = 0.10;
  const std::string file = dir + "/bench.msr", geo_file = dir + "/geo.csv",
                    csv = dir + "/bench.csv", awk_out = dir + "/awk.out";
  SyntheticTruth truth;
  auto t0 = std::chrono::steady_clock::now();
  if (absl::Status s = WriteSyntheticFile(file, o, &truth); !s.ok()) {
    fprintf(stderr, "agg_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  double gen_s = Seconds(t0);

  // Writer throughput for sweep records (one sink, as the sweeper's receive thread has):
  // 10 million lab-like results.
  double sweep_write_s = 0, sweep_bytes_per_record = 0;
  const uint64_t kSweeps = 10'000'000;
  {
    const std::string sweep_file = dir + "/sweep.msr";
    FileHeader header;
    header.ports = {110, 995, 143, 993, 25, 587, 465};
    auto writer = RecordFileWriter::Create(sweep_file, header);
    if (!writer.ok()) return 1;
    auto sink = (*writer)->NewSink();
    auto start = std::chrono::steady_clock::now();
    double cpu_start = CpuSeconds(RUSAGE_SELF);
    uint64_t x = 88172645463325252ull;
    int64_t t = 1764403200000000;
    for (uint64_t i = 0; i < kSweeps; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      SweepRecord r;
      r.address = 0x0a000000u + static_cast<uint32_t>(x & 0x1fffff);
      r.port = header.ports[(x >> 24) % 7];
      r.status = (x >> 30) % 4 == 0 ? SweepStatus::kClosed : SweepStatus::kOpen;
      r.ttl = (x >> 33) & 1 ? 64 : 128;
      r.window = r.status == SweepStatus::kClosed ? 0 : 64240;
      t += static_cast<int64_t>((x >> 40) % 4);
      r.time_us = t;
      sink->Add(r);
    }
    sink.reset();
    if (!(*writer)->Close().ok()) return 1;
    sweep_write_s = CpuSeconds(RUSAGE_SELF) - cpu_start;
    (void)Seconds(start);
    sweep_bytes_per_record =
        static_cast<double>((*writer)->stats().bytes) / static_cast<double>(kSweeps);
    unlink(sweep_file.c_str());
  }
  std::ofstream(geo_file) << SyntheticGeoCsv(o);
  struct stat st;
  stat(file.c_str(), &st);
  const double our_bytes = static_cast<double>(st.st_size) / static_cast<double>(truth.records);

  // Baseline input and the other formats' sizes (every 10th record sampled for JSON/masscan).
  uint64_t json_bytes = 0, masscan_bytes = 0, masscan_no_cert_bytes = 0, sampled = 0;
  {
    std::ofstream out(csv);
    std::string buf;
    const uint16_t ports[] = {110, 995, 143, 993, 25, 587, 465};
    int64_t t = 1764403200000000;
    for (uint16_t port : ports) {
      for (uint64_t i = 0; i < o.hosts; ++i) {
        uint32_t a = SyntheticAddress(o, i);
        ProbeRecord p = SyntheticProbe(o, a, port, ++t);
        if (i % 10 == 0) {
          json_bytes += ProbeToJson(p).size() + 1;
          masscan_bytes += MasscanStyleBytes(p, true);
          masscan_no_cert_bytes += MasscanStyleBytes(p, false);
          ++sampled;
        }
        buf += mailsweep::FormatIpv4(a);
        buf += ',';
        buf += std::to_string(port);
        buf += ',';
        buf += OutcomeName(p.outcome);
        buf += ',';
        buf += SyntheticCountry(o, a);
        buf += '\n';
        if (buf.size() > (1 << 20)) {
          out << buf;
          buf.clear();
        }
      }
    }
    out << buf;
  }

  auto geo = GeoDb::Open(geo_file);
  if (!geo.ok()) return 1;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Each configuration runs `repeat` times, alternating with the others, so that a slow spell
  // of the machine (this VM's speed drifts by 10-25% within minutes) spreads over all of them;
  // the figures are the run of median CPU time, plus the best CPU time.
  struct Run {
    int threads;
    bool hosts;
    double seconds;
    double cpu_seconds;
    double read_cpu_seconds, join_cpu_seconds;  // the two phases (Summary)
    uint64_t without_tls;
    double best_cpu_seconds = 0;
  };
  std::vector<std::pair<int, bool>> configs;
  for (bool hosts : {false, true}) {
    for (int threads : {1, cores}) {
      configs.push_back({threads, hosts});
      if (threads == cores && cores == 1) break;
    }
  }
  std::vector<std::vector<Run>> samples(configs.size());
  for (int round = 0; round < repeat; ++round) {
    for (size_t c = 0; c < configs.size(); ++c) {
      const auto [threads, hosts] = configs[c];
      Aggregator agg({.policy = Policy::kShadowServer,
                      .geo = geo->get(),
                      .threads = threads,
                      .collect_hosts = hosts});
      if (!agg.AddFile(file).ok()) return 1;
      auto start = std::chrono::steady_clock::now();
      double cpu_start = CpuSeconds(RUSAGE_SELF);
      agg.Run();
      double s = Seconds(start);
      double cpu = CpuSeconds(RUSAGE_SELF) - cpu_start;
      if (agg.summary().read.probe_records != truth.records) {
        fprintf(stderr, "agg_bench: read %llu records, wrote %llu\n",
                static_cast<unsigned long long>(agg.summary().read.probe_records),
                static_cast<unsigned long long>(truth.records));
        return 1;
      }
      samples[c].push_back({threads, hosts, s, cpu, agg.summary().read_cpu_seconds,
                            agg.summary().join_cpu_seconds, agg.summary().totals[0].without_tls});
    }
  }
  std::vector<Run> runs;
  for (std::vector<Run>& v : samples) {
    std::sort(v.begin(), v.end(),
              [](const Run& a, const Run& b) { return a.cpu_seconds < b.cpu_seconds; });
    Run median = v[v.size() / 2];
    median.best_cpu_seconds = v.front().cpu_seconds;
    runs.push_back(median);
  }

  // Baseline: awk joins the ports per host and counts country x protocol x class.
  const std::string awk_script = dir + "/rollup.awk";
  std::ofstream(awk_script) << R"AWK(BEGIN { FS = "," }
{
  p = $2
  pr = (p == 110 || p == 995) ? "pop3" : (p == 143 || p == 993) ? "imap" : "smtp"
  k = $1 "," pr
  cc[k] = $4
  if (p == 995 || p == 993 || p == 465) {
    if ($3 == "implicit_tls_ok") imp[k] = 1
  } else if ($3 == "starttls_ok") {
    st[k] = 1; ans[k] = 1
  } else if ($3 == "plaintext_only" || $3 == "starttls_refused" || $3 == "starttls_handshake_failed" || $3 == "preauth") {
    ans[k] = 1
  }
}
END {
  for (k in cc) {
    split(k, a, ",")
    c = ans[k] ? (st[k] ? "starttls" : (imp[k] ? "plaintext_and_implicit" : "no_tls")) : (imp[k] ? "implicit_only" : "no_service")
    n[cc[k] "," a[2] "," c]++
  }
  for (x in n) print x "," n[x]
}
)AWK";
  auto awk_start = std::chrono::steady_clock::now();
  double awk_cpu_start = CpuSeconds(RUSAGE_CHILDREN);
  std::string cmd = "LC_ALL=C awk -f '" + awk_script + "' '" + csv + "' > '" + awk_out + "'";
  int rc = system(cmd.c_str());
  double awk_s = Seconds(awk_start);
  double awk_cpu = CpuSeconds(RUSAGE_CHILDREN) - awk_cpu_start;
  uint64_t awk_pop3_no_tls = 0;
  {
    std::ifstream in(awk_out);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(",pop3,no_tls,") != std::string::npos) {
        awk_pop3_no_tls += strtoull(line.substr(line.rfind(',') + 1).c_str(), nullptr, 10);
      }
    }
  }
  // sort | uniq -c on the per-record (country, protocol-port, outcome) triple: no join at all,
  // the cheapest thing a shell pipeline can count.
  auto sort_start = std::chrono::steady_clock::now();
  double sort_cpu_start = CpuSeconds(RUSAGE_CHILDREN);
  std::string sort_cmd = "LC_ALL=C cut -d, -f2- '" + csv + "' | LC_ALL=C sort -S 1G | uniq -c > '" +
                         dir + "/sort.out'";
  int rc2 = system(sort_cmd.c_str());
  double sort_s = Seconds(sort_start);
  double sort_cpu = CpuSeconds(RUSAGE_CHILDREN) - sort_cpu_start;

  const Run& one = runs[0];
  printf("{\n  \"records\": %llu,\n  \"hosts\": %llu,\n  \"cores\": %d,\n  \"generate_s\": %.2f,\n",
         static_cast<unsigned long long>(truth.records), static_cast<unsigned long long>(o.hosts),
         cores, gen_s);
  printf(
      "  \"sweep_writer\": {\"records\": %llu, \"cpu_seconds\": %.3f, "
      "\"records_per_cpu_s\": %.0f, \"bytes_per_record\": %.2f},\n",
      static_cast<unsigned long long>(kSweeps), sweep_write_s,
      static_cast<double>(kSweeps) / sweep_write_s, sweep_bytes_per_record);
  printf("  \"runs\": [\n");
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    double rate = static_cast<double>(truth.records) / r.seconds;
    printf(
        "    {\"threads\": %d, \"per_host_details\": %s, \"seconds\": %.3f, "
        "\"cpu_seconds\": %.3f, \"read_cpu_s\": %.3f, \"join_cpu_s\": %.3f, "
        "\"records_per_s\": %.0f, \"records_per_cpu_s\": %.0f, \"repeats\": %d, "
        "\"best_cpu_seconds\": %.3f, \"best_records_per_cpu_s\": %.0f, "
        "\"speedup_vs_awk_wall\": %.1f, \"speedup_vs_awk_cpu\": %.1f, "
        "\"pop3_without_tls\": %llu}%s\n",
        r.threads, r.hosts ? "true" : "false", r.seconds, r.cpu_seconds, r.read_cpu_seconds,
        r.join_cpu_seconds, rate, static_cast<double>(truth.records) / r.cpu_seconds, repeat,
        r.best_cpu_seconds, static_cast<double>(truth.records) / r.best_cpu_seconds,
        awk_s / r.seconds, awk_cpu / r.cpu_seconds, static_cast<unsigned long long>(r.without_tls),
        i + 1 < runs.size() ? "," : "");
  }
  printf(
      "  ],\n  \"baseline_awk\": {\"seconds\": %.3f, \"cpu_seconds\": %.3f, "
      "\"records_per_s\": %.0f, \"exit\": %d, \"pop3_without_tls\": %llu, \"agrees\": %s},\n",
      awk_s, awk_cpu, static_cast<double>(truth.records) / awk_s, rc,
      static_cast<unsigned long long>(awk_pop3_no_tls),
      awk_pop3_no_tls == one.without_tls && one.without_tls == truth.without_tls[0] ? "true"
                                                                                    : "false");
  printf(
      "  \"baseline_sort_uniq\": {\"seconds\": %.3f, \"cpu_seconds\": %.3f, \"exit\": %d, "
      "\"note\": \"per-record counts only, no join\"},\n",
      sort_s, sort_cpu, rc2);
  printf(
      "  \"bytes_per_record\": {\"mailsweep\": %.2f, \"masscan_style_binary\": %.2f, "
      "\"masscan_style_binary_without_certificates\": %.2f, \"json_lines\": %.2f}\n}\n",
      our_bytes, static_cast<double>(masscan_bytes) / static_cast<double>(sampled),
      static_cast<double>(masscan_no_cert_bytes) / static_cast<double>(sampled),
      static_cast<double>(json_bytes) / static_cast<double>(sampled));
  if (!keep) {
    for (const std::string& f : {file, geo_file, csv, awk_out, awk_script, dir + "/sort.out"}) {
      unlink(f.c_str());
    }
    rmdir(dir.c_str());
  }
  return 0;
}
