// Ties in the roll-up (results/agg/aggregator.h, "Ties"): two files that hold the same (address,
// port) at the same time with different contents give the same report whichever file is read
// first and however the threads share the blocks.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "results/agg/aggregator.h"
#include "results/agg/classification.h"
#include "results/agg/shadowserver_csv.h"
#include "results/agg/summary_files.h"
#include "results/format/record_writer.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::TempDir;
using testing::TestHeader;

// `hosts` hosts on ports 110 and 143, all at one time; `variant` decides what they answered.
void WriteTied(const std::string& path, int variant, uint32_t hosts) {
  auto w = RecordFileWriter::Create(path, TestHeader(), {.chunk_bytes = 512});
  REQUIRE(w.ok());
  auto sink = (*w)->NewSink();
  for (uint32_t i = 0; i < hosts; ++i) {
    for (uint16_t port : {110, 143}) {
      ProbeRecord p;
      p.address = 0xc6120000u + i;
      p.port = port;
      p.protocol = ProtocolForPort(port);
      p.start_us = 1'764'403'200'000'000;
      const int v = (variant + static_cast<int>(i)) % 3;
      p.outcome = v == 0 ? ProbeOutcome::kPlaintextOnly : ProbeOutcome::kStartTlsOk;
      if (v != 0) p.tls.version = v == 1 ? 0x0303 : 0x0304;
      p.flags = static_cast<uint32_t>(variant);
      p.banner = std::string("+OK server ").append(1, static_cast<char>('a' + variant));
      p.domain = std::string("mail").append(1, static_cast<char>('a' + variant)) + ".example";
      sink->Add(p);
    }
  }
  sink.reset();
  REQUIRE((*w)->Close().ok());
}

// Everything a report says but the names of its files: the summary files, the per-host CSVs.
std::string Report(const std::vector<std::string>& files, bool hosts, int threads) {
  Aggregator agg({.threads = threads, .collect_hosts = hosts, .blocks_per_task = 1});
  for (const std::string& f : files) REQUIRE(agg.AddFile(f).ok());
  agg.Run();
  std::string json = SummaryJson(agg.summary());
  const size_t files_at = json.find("  \"files\": [");  // in the order given: left out
  REQUIRE(files_at != std::string::npos);
  json.erase(files_at, json.find('\n', files_at) + 1 - files_at);
  std::string out = SummaryCsv(agg.summary()) + json;
  for (int p = 0; hosts && p < kMailProtocols; ++p) out += ShadowServerCsv(agg, p, false);
  return out;
}

TEST_CASE("report: ties between files go by content, not by reading order") {
  TempDir dir;
  std::vector<std::string> files;
  for (int variant = 0; variant < 3; ++variant) {
    files.push_back(dir.File(std::string("v").append(1, static_cast<char>('a' + variant))));
    WriteTied(files.back(), variant, 3000);
  }
  const std::vector<std::string> reversed(files.rbegin(), files.rend());
  for (bool hosts : {true, false}) {
    CAPTURE(hosts);
    const std::string want = Report(files, hosts, 1);
    CHECK(Report(reversed, hosts, 1) == want);
    for (int run = 0; run < 5; ++run) {
      CAPTURE(run);
      CHECK(Report(run % 2 ? files : reversed, hosts, 3) == want);
    }
  }
}

// Two probes of a port less than a second apart but in different seconds: the later one is the
// port's latest, with per-host details and without alike (the summary-only path once compared
// 2^20 us units, in which these two tie, and kept the other by content).
TEST_CASE("report: both paths keep the later of two probes in adjacent seconds") {
  TempDir dir;
  {
    auto w = RecordFileWriter::Create(dir.File("a.msr"), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    for (uint32_t i = 0; i < 50; ++i) {
      ProbeRecord tls, plain;
      tls.address = plain.address = 0xc6120000u + i;
      tls.port = plain.port = 110;
      tls.protocol = plain.protocol = Protocol::kPop3;
      tls.outcome = ProbeOutcome::kStartTlsOk;
      tls.tls.version = 0x0304;
      tls.start_us = 1'000'000'000'000'000 - 1 - i;  // second 999'999'999
      plain.outcome = ProbeOutcome::kPlaintextOnly;
      plain.start_us = 1'000'000'000'000'000 + i;  // second 1'000'000'000, the same 2^20 us
      REQUIRE((tls.start_us >> 20) == (plain.start_us >> 20));
      sink->Add(plain);
      sink->Add(tls);
    }
    sink.reset();
    REQUIRE((*w)->Close().ok());
  }
  for (bool hosts : {true, false}) {
    CAPTURE(hosts);
    Aggregator agg({.collect_hosts = hosts});
    REQUIRE(agg.AddFile(dir.File("a.msr")).ok());
    agg.Run();
    CHECK(agg.summary().totals[0].classes[static_cast<int>(HostClass::kNoTls)] == 50);
    CHECK(agg.summary().totals[0].without_tls == 50);
  }
}

}  // namespace
}  // namespace mailsweep::results
