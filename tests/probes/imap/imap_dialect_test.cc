// Tests of the IMAP dialect (probes/imap/) through probes::Session: the transcripts in
// transcripts/imap/ (README.md there), and in C++ the cases a data file cannot hold: generated
// endless input and conversations driven step by step (a BYE and the close that follows it).
#include <catch2/catch.hpp>

#include "probes/session.h"
#include "tests/probes/session_harness.h"
#include "tests/probes/transcript.h"

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;
using testing::Stepped;

// Every transcripts/imap/*.txt is a test case of its own.
const bool kTranscriptsRegistered = testing::RegisterTranscripts("imap");

TEST_CASE("ImapByeInsideCapabilityThenCloseIsServiceUnavailable") {
  // The BYE decides; the close that follows changes nothing.
  Stepped t(143);
  auto& [rec, opt, s] = t;
  s.Start();
  s.OnBytes("* OK hi\r\n");
  REQUIRE(s.OnBytes("* BYE going away\r\n").step == Step::kDone);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kServiceUnavailable);
}

TEST_CASE("ImapCloseInsideUnfinishedByeLineIsProtocolError") {
  Stepped t(143);
  auto& [rec, opt, s] = t;
  s.Start();
  s.OnBytes("* OK hi\r\n");
  REQUIRE(s.OnBytes("* BYE going aw").step == Step::kWait);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kProtocolError);
}

}  // namespace
}  // namespace mailsweep::probes
