#include "engine/cli/status_line.h"

#include <catch2/catch.hpp>
#include <string>

namespace mailsweep::engine {
namespace {

using results::ProbeOutcome;

void SetOutcome(ProberStats* p, ProbeOutcome o, uint64_t n) {
  p->outcomes[static_cast<size_t>(o)] = n;
}

}  // namespace

TEST_CASE("Sweep status line and JSON carry the counters", "[status_line]") {
  SweepStats prev, now;
  now.elapsed_s = 2;
  prev.elapsed_s = 1;
  now.sending = true;
  now.positions_total = 1000;
  now.positions_done = 500;
  now.sent = 500;
  prev.sent = 250;
  now.send_elapsed_s = 2;
  now.replies = 20;
  now.open = 5;
  now.closed = 15;
  now.pcap_dropped = 3;
  const std::string line = FormatSweepStatusLine(now, prev);
  CHECK(line.find("50%") != std::string::npos);
  CHECK(line.find("send: 500 250 p/s") != std::string::npos);
  CHECK(line.find("open 5 closed 15") != std::string::npos);
  CHECK(line.find("pcap 3") != std::string::npos);
  const std::string json = FormatSweepStatusJson(now, prev);
  CHECK(json.find("\"sent\":500,") != std::string::npos);
  CHECK(json.find("\"send_rate\":250,") != std::string::npos);
  CHECK(json.find("\"phase\":\"sending\"") != std::string::npos);
  CHECK(json.back() == '\n');
  CHECK(FormatDuration(3725) == "1:02:05");
  CHECK(FormatCount(1234567) == "1.23M");
}

TEST_CASE("Dropped replies warn only when some were dropped", "[status_line]") {
  SweepStats s;
  CHECK(DroppedRepliesWarning(s).empty());
  s.pcap_dropped = 2;
  s.if_dropped = 1;
  CHECK(DroppedRepliesWarning(s).starts_with("warning: 3 replies were dropped"));
}

TEST_CASE("Probe status line counts minutes past the hour", "[status_line]") {
  ProberStats s;
  s.done = 1200;
  s.in_flight = 50;
  s.capacity = 1000;
  s.retried = 3;
  s.connect_rate = 4000;
  s.window = 1000;
  s.lag_ms = 2;
  s.lag_max_ms = 9;
  SetOutcome(&s, ProbeOutcome::kStartTlsOk, 700);
  SetOutcome(&s, ProbeOutcome::kImplicitTlsOk, 100);
  SetOutcome(&s, ProbeOutcome::kPlaintextOnly, 300);
  SetOutcome(&s, ProbeOutcome::kConnectRefused, 100);
  SetOutcome(&s, ProbeOutcome::kUnreachable, 20);
  CHECK(FormatProbeStatusLine(s, 5, false) ==
        "0:05 probe: done 1200 (240/s); in flight 50/1000; queued 0; retried 3; tls 800; "
        "plaintext only 300; refused 100; unreachable 20; timeouts 0; start rate 4000/s; "
        "window 1000; loop lag 2 ms\n");
  s.connect_rate = 0;
  CHECK(FormatProbeStatusLine(s, 4503, true) ==
        "75:03 probe: done 1200 (0/s); in flight 50/1000; queued 0; retried 3; tls 800; "
        "plaintext only 300; refused 100; unreachable 20; timeouts 0; start rate unlimited; "
        "window 1000; loop lag 9 ms (most; done)\n");
}

TEST_CASE("Scan status line and JSON carry both stages", "[status_line]") {
  ScanProgress prev, now;
  now.elapsed_s = 61;
  now.sweep.elapsed_s = 61;
  prev.sweep.elapsed_s = 60;
  now.sweep.sending = true;
  now.sweep.positions_total = 1000;
  now.sweep.positions_done = 250;
  now.sweep.sent = 3000;
  prev.sweep.sent = 1000;
  now.sweep.send_elapsed_s = 30;
  now.sweep.open = 40;
  now.sweep.paused_ms = 5;
  now.probe.done = 30;
  prev.probe.done = 20;
  now.probe.in_flight = 4;
  now.probe.capacity = 100;
  now.probe.window = 50;
  SetOutcome(&now.probe, ProbeOutcome::kStartTlsOk, 20);
  SetOutcome(&now.probe, ProbeOutcome::kPlaintextOnly, 6);
  SetOutcome(&now.probe, ProbeOutcome::kImplicitTlsFailed, 1);
  now.backlog = 6;
  now.cut_off = 2;
  now.checkpoint = 200;
  CHECK(FormatScanStatusLine(now, prev) ==
        "1:01 25%; send: 3000 2.0k p/s (0.1k avg); open 40; probes: 30 done 10/s, 4/100 in "
        "flight, 6 waiting, 0 retried, start rate unlimited, window 50, lag 0 ms; tls 20, "
        "plaintext 6, tls failed 1, other 3; ETA 1:30 (held back by the probers)\n");
  const std::string json = FormatScanStatusJson(now);
  CHECK(json.starts_with("{\"elapsed\":61.000,\"positions_done\":250,\"positions_total\":1000,"));
  CHECK(json.find("\"probes_waiting\":6,") != std::string::npos);
  CHECK(json.find("\"probes_cut_off\":2,") != std::string::npos);
  CHECK(json.find("\"checkpoint\":200,") != std::string::npos);
  CHECK(
      json.ends_with("\"outcomes\":{\"plaintext_only\":6,\"starttls_ok\":20,"
                     "\"implicit_tls_failed\":1}}\n"));
}

TEST_CASE("Opt-outs show in the status lines, the JSON and the summary only when there are any",
          "[status_line]") {
  SweepStats s;
  CHECK(OptOutText(s, 0).empty());
  CHECK(FormatSweepSummary(s).find("opted out") == std::string::npos);
  // A resume with no walk left has no sweep figures, but may still drop live hosts.
  CHECK(OptOutText(s, 4).ends_with(", 0 targets skipped, 4 live hosts not probed"));
  s.excluded_addresses = 256;
  s.skipped = 100;
  CHECK(OptOutText(s, 0) ==
        "; opted out: 256 addresses added since the start, 100 targets skipped");
  s.opted_out_replies = 3;
  CHECK(OptOutText(s, 2).ends_with(", 3 replies dropped, 2 live hosts not probed"));
  CHECK(FormatSweepStatusLine(s, SweepStats{}).find("100 targets skipped") != std::string::npos);
  CHECK(FormatSweepSummary(s).find("256 addresses added since the start") != std::string::npos);
  const std::string json = FormatSweepStatusJson(s, SweepStats{});
  CHECK(json.find("\"skipped\":100,\"opted_out_replies\":3,\"excluded_addresses\":256}") !=
        std::string::npos);
  ScanProgress p;
  p.sweep = s;
  p.opted_out = 4;
  CHECK(FormatScanStatusLine(p, ScanProgress{}).find("4 live hosts not probed") !=
        std::string::npos);
  CHECK(FormatScanStatusJson(p).find("\"opted_out_replies\":3,\"opted_out_live\":4,") !=
        std::string::npos);
}

TEST_CASE("A reload says what it added, what it kept and why it failed", "[status_line]") {
  targets::ReloadOutcome ok{.added = 256, .kept = 0, .notes = {"b.txt:4: skipped IPv6 entry"}};
  std::vector<std::string> lines = FormatReload(ok, 300);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "warning: b.txt:4: skipped IPv6 entry");
  CHECK(lines[1] ==
        "reloaded the blocklist: 256 addresses added, in force at once (300 blocked "
        "since the start)");
  targets::ReloadOutcome kept{.added = 0, .kept = 16};
  lines = FormatReload(kept, 300);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].find("16 blocked addresses are no longer in the -b files") != std::string::npos);
  targets::ReloadOutcome bad{.status = absl::InvalidArgumentError("b.txt:3: bad")};
  lines = FormatReload(bad, 300);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "blocklist reload failed; the blocklist in force stays: b.txt:3: bad");
}

}  // namespace mailsweep::engine
