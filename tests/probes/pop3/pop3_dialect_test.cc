// Tests of the POP3 dialect (probes/pop3/) through probes::Session: the transcripts in
// transcripts/pop3/ (README.md there), and in C++ the cases a data file cannot hold: generated
// endless input and conversations driven step by step (the STLS leftover and injection checks, and
// the bounds on endless greetings and CAPA lists).
#include <catch2/catch.hpp>
#include <string>

#include "probes/session.h"
#include "tests/probes/session_harness.h"
#include "tests/probes/transcript.h"

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;
using testing::Has;
using testing::Play;
using testing::PlayAll;
using testing::Run;
using testing::Stepped;

// Every transcripts/pop3/*.txt is a test case of its own.
const bool kTranscriptsRegistered = testing::RegisterTranscripts("pop3");

TEST_CASE("Pop3PlaintextAfterStlsReplyIsRecordedAndDropped") {
  // Whole answer in one chunk: the extra line must not reach TLS.
  Stepped t(110);
  auto& [rec, opt, s] = t;
  s.Start();
  REQUIRE(s.OnBytes("+OK ready\r\n").step == Step::kSend);
  REQUIRE(s.OnBytes("+OK\r\nSTLS\r\n.\r\n").step == Step::kSend);
  Action a = s.OnBytes("+OK Begin TLS\r\n+OK injected by a man in the middle\r\n");
  REQUIRE(a.step == Step::kStartTls);
  CHECK(Has(rec, results::kPlaintextLeftover));
  a = s.OnTlsEstablished();
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "CAPA\r\n");
}

TEST_CASE("Pop3InjectionAnsweredInsideTlsIsVulnerable") {
  SessionOptions options;
  options.injection_check = true;
  Stepped t(110, options);
  auto& [rec, opt, s] = t;
  s.Start();
  s.OnBytes("+OK ready\r\n");
  s.OnBytes("+OK\r\nSTLS\r\n.\r\n");
  // Before: nothing answered; STLS and NOOP went out together.
  Action a = s.OnBytes("+OK Begin TLS\r\n");
  REQUIRE(a.step == Step::kStartTls);
  a = s.OnTlsEstablished();
  REQUIRE(a.step == Step::kWait);
  CHECK(a.wait_ms == opt.injection_wait_ms);
  a = s.OnBytes("+OK\r\n");  // the NOOP answered inside TLS
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "CAPA\r\n");
  a = s.OnBytes("+OK\r\nUSER\r\n.\r\n");
  REQUIRE(a.step == Step::kDone);
  CHECK(Has(rec, results::kInjectionTested));
  CHECK(Has(rec, results::kInjectionVulnerable));
  CHECK(rec.outcome == ProbeOutcome::kStartTlsOk);
}

TEST_CASE("Pop3InjectionSentInOneSegmentAndSilenceIsSafe") {
  SessionOptions options;
  options.injection_check = true;
  Stepped t(110, options);
  auto& [rec, opt, s] = t;
  s.Start();
  s.OnBytes("+OK ready\r\n");
  Action a = s.OnBytes("+OK\r\nSTLS\r\n.\r\n");
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "STLS\r\nNOOP\r\n");
  s.OnBytes("+OK Begin TLS\r\n");
  s.OnTlsEstablished();
  a = s.OnTimeout();  // the injection window passes in silence
  REQUIRE(a.step == Step::kSend);
  a = s.OnBytes("+OK\r\nUSER\r\n.\r\n");
  REQUIRE(a.step == Step::kDone);
  CHECK(Has(rec, results::kInjectionTested));
  CHECK_FALSE(Has(rec, results::kInjectionVulnerable));
}

TEST_CASE("Pop3EndlessLineIsProtocolError") {
  std::string endless = "+OK " + std::string(200000, 'A');
  Run r = Play(110, {{"", endless}}, {1000});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
}

TEST_CASE("Pop3EndlessGreetingKeepsBannerCapBytes") {
  // No CR LF ever; under max_bytes, so every split (one read included) ends on the line cap.
  std::string endless = "+OK ";
  for (int i = 0; endless.size() < 100000; ++i) endless += std::to_string(i) + ' ';
  SessionOptions opt;
  opt.banner_cap = 512;  // below max_line
  Run r = PlayAll(110, {{"", endless}}, opt);
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, 512));
  CHECK(r.last_bytes.empty());
}

TEST_CASE("Pop3EndlessGreetingKeepsLineCapBytesWhenBannerCapIsLarger") {
  // The line cap stops the read first: the banner holds what it let in, whatever the split.
  std::string endless = "+OK ";
  for (int i = 0; endless.size() < 100000; ++i) endless += std::to_string(i) + ' ';
  const SessionOptions opt;
  REQUIRE(opt.max_line < opt.banner_cap);
  Run r = PlayAll(110, {{"", endless}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, opt.max_line));
}

TEST_CASE("Pop3GreetingLineLongerThanCapIsProtocolErrorEvenInOneRead") {
  // Complete in one read or cut into many, a line over the cap is refused the same way.
  const SessionOptions opt;
  std::string greeting = "+OK " + std::string(opt.max_line, 'x');
  Run r = PlayAll(110, {{"", greeting + "\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(r.rec.banner == greeting.substr(0, opt.max_line));
}

TEST_CASE("Pop3GreetingLineExactlyAtCapIsAccepted") {
  // The CR of the line's CR LF may arrive alone; it does not count against the cap.
  const SessionOptions opt;
  std::string greeting = "+OK " + std::string(opt.max_line - 4, 'x');
  Run r = PlayAll(110, {{"", greeting + "\r\n"}, {"CAPA\r\n", "+OK\r\nUSER\r\n.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(r.rec.banner == greeting + "\r\n");
  CHECK_FALSE(Has(r.rec, results::kBannerTruncated));
}

TEST_CASE("Pop3EndlessCapaIsBounded") {
  std::string capa = "+OK\r\n";
  for (int i = 0; i < 20000; ++i) capa += "X-CAPABILITY-NUMBER-" + std::to_string(i) + "\r\n";
  Run r = Play(110, {{"", "+OK\r\n"}, {"CAPA\r\n", capa}}, {4096});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(r.rec.capabilities.size() <= SessionOptions{}.banner_cap);
}

}  // namespace
}  // namespace mailsweep::probes
