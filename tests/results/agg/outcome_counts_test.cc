// The roll-up's count of probe outcomes (results/agg/aggregator.h, summary_files.h,
// report_html.h): every probe record on a mail port is counted under its outcome, the newest
// value (16, unreachable) and a value this reader does not know ("unknown") included, so the
// counts add up to the records.
#include <catch2/catch.hpp>
#include <numeric>
#include <string>

#include "results/agg/aggregator.h"
#include "results/agg/report_html.h"
#include "results/agg/summary_files.h"
#include "results/format/record_writer.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::TempDir;
using testing::TestHeader;

TEST_CASE("report: outcome counts add up to the probe records, new and unknown values too") {
  TempDir dir;
  const std::string path = dir.File("outcomes.msr");
  // Per POP3 host: one outcome of every known value, then an unknown one (a newer writer's).
  constexpr int kHosts = 7;
  constexpr uint8_t kUnknown = 200;
  {
    auto w = RecordFileWriter::Create(path, TestHeader(), {.chunk_bytes = 512});
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    uint32_t address = 0xc6120001u;
    for (int h = 0; h < kHosts; ++h) {
      for (size_t o = 1; o <= kProbeOutcomeSlots; ++o) {
        ProbeRecord p;
        p.address = address++;
        p.port = 110;
        p.protocol = ProtocolForPort(110);
        p.start_us = 1'764'403'200'000'000;
        p.outcome = static_cast<ProbeOutcome>(o < kProbeOutcomeSlots ? o : kUnknown);
        sink->Add(p);
      }
    }
    sink.reset();
    REQUIRE((*w)->Close().ok());
  }
  for (bool hosts : {true, false}) {
    CAPTURE(hosts);
    Aggregator agg({.threads = 2, .collect_hosts = hosts, .blocks_per_task = 1});
    REQUIRE(agg.AddFile(path).ok());
    agg.Run();
    const Summary& s = agg.summary();
    REQUIRE(s.read.probe_records == kHosts * kProbeOutcomeSlots);
    const auto& pop3 = s.outcomes[0];
    CHECK(std::accumulate(pop3.begin(), pop3.end(), uint64_t{0}) == s.read.probe_records);
    for (size_t o = 0; o < kProbeOutcomeSlots; ++o) {
      CAPTURE(o);
      CHECK(pop3[o] == kHosts);  // slot 0: the unknown value
    }
    const std::string json = SummaryJson(s);
    CHECK(json.find("\"unreachable\": 7") != std::string::npos);
    CHECK(json.find("\"unknown\": 7") != std::string::npos);
    const std::string html = ReportHtml(s);
    CHECK(html.find("<td>unreachable</td>") != std::string::npos);
    CHECK(html.find("<td>unknown</td>") != std::string::npos);
  }
}

}  // namespace
}  // namespace mailsweep::results
