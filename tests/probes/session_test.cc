// Tests of the machine probes::Session shares between the dialects: timeouts, closes and ports
// that name no protocol, driven step by step. The protocols' transcripts are in
// transcripts/<protocol>/ and the per-protocol tests in pop3/, imap/ and smtp/.
#include "probes/session.h"

#include <catch2/catch.hpp>

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;
using results::ProbeRecord;

TEST_CASE("SilentServerIsNoGreeting") {
  ProbeRecord rec;
  rec.port = 143;
  SessionOptions opt;
  Session s(&rec, &opt);
  REQUIRE(s.Start().step == Step::kWait);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNoGreeting);
}

TEST_CASE("PartialGreetingThenTimeoutIsNoGreeting") {
  ProbeRecord rec;
  rec.port = 110;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnBytes("+O").step == Step::kWait);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNoGreeting);
}

TEST_CASE("SilenceAfterCommandIsIoTimeout") {
  ProbeRecord rec;
  rec.port = 25;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnBytes("220 hi\r\n").step == Step::kSend);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kIoTimeout);
}

TEST_CASE("CloseMidReplyIsProtocolError") {
  ProbeRecord rec;
  rec.port = 110;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  s.OnBytes("+OK hi\r\n");
  REQUIRE(s.OnBytes("+OK\r\nUSER\r\nTO").step == Step::kWait);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kProtocolError);
}

TEST_CASE("CloseBeforeGreetingIsReset") {
  ProbeRecord rec;
  rec.port = 110;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kConnectionReset);
}

TEST_CASE("CloseDuringHandshakeIsHandshakeFailure") {
  ProbeRecord rec;
  rec.port = 993;
  rec.tls_mode = results::TlsMode::kImplicit;
  SessionOptions opt;
  Session s(&rec, &opt);
  REQUIRE(s.Start().step == Step::kStartTls);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kImplicitTlsFailed);
  CHECK(rec.tls.failure == "closed");
}

TEST_CASE("UnknownPortIsNotThisProtocol") {
  ProbeRecord rec;
  rec.port = 80;
  SessionOptions opt;
  Session s(&rec, &opt);
  REQUIRE(s.Start().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNotThisProtocol);
}

}  // namespace
}  // namespace mailsweep::probes
