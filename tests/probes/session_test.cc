// Tests of the machine probes::Session shares between the dialects: timeouts, closes and ports
// that name no protocol, driven step by step. The protocols' transcripts are in
// transcripts/<protocol>/ and the per-protocol tests in pop3/, imap/ and smtp/.
#include "probes/session.h"

#include <catch2/catch.hpp>

#include "tests/probes/session_harness.h"

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;
using testing::Stepped;

TEST_CASE("SilentServerIsNoGreeting") {
  Stepped t(143);
  auto& [rec, opt, s] = t;
  REQUIRE(s.Start().step == Step::kWait);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNoGreeting);
}

TEST_CASE("PartialGreetingThenTimeoutIsNoGreeting") {
  Stepped t(110);
  auto& [rec, opt, s] = t;
  s.Start();
  REQUIRE(s.OnBytes("+O").step == Step::kWait);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNoGreeting);
}

TEST_CASE("SilenceAfterCommandIsIoTimeout") {
  Stepped t(25);
  auto& [rec, opt, s] = t;
  s.Start();
  REQUIRE(s.OnBytes("220 hi\r\n").step == Step::kSend);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kIoTimeout);
}

TEST_CASE("CloseMidReplyIsProtocolError") {
  Stepped t(110);
  auto& [rec, opt, s] = t;
  s.Start();
  s.OnBytes("+OK hi\r\n");
  REQUIRE(s.OnBytes("+OK\r\nUSER\r\nTO").step == Step::kWait);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kProtocolError);
}

TEST_CASE("CloseBeforeGreetingIsReset") {
  Stepped t(110);
  auto& [rec, opt, s] = t;
  s.Start();
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kConnectionReset);
}

TEST_CASE("CloseDuringHandshakeIsHandshakeFailure") {
  Stepped t(993);
  auto& [rec, opt, s] = t;
  REQUIRE(s.Start().step == Step::kStartTls);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kImplicitTlsFailed);
  CHECK(rec.tls.failure == "closed");
}

TEST_CASE("UnknownPortIsNotThisProtocol") {
  Stepped t(80);
  auto& [rec, opt, s] = t;
  REQUIRE(s.Start().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNotThisProtocol);
}

}  // namespace
}  // namespace mailsweep::probes
