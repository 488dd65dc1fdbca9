// Tests of the SMTP dialect (probes/smtp/) through probes::Session: the transcripts in
// transcripts/smtp/ (README.md there), and in C++ the cases a data file cannot hold: generated
// endless input and conversations driven step by step (the bounds on endless and multi-line
// greetings, silence after HELO).
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

// Every transcripts/smtp/*.txt is a test case of its own.
const bool kTranscriptsRegistered = testing::RegisterTranscripts("smtp");

TEST_CASE("SmtpEndlessBannerIsBounded") {
  std::string endless;
  while (endless.size() < 200000) endless += "220-spam spam spam spam spam spam spam\r\n";
  Run r = Play(25, {{"", endless}}, {1500});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner.size() <= SessionOptions{}.banner_cap);
}

TEST_CASE("SmtpMultiLineGreetingBeyondMaxReplyKeepsFirstBytes") {
  // Under max_bytes, so every split (one read included) ends on max_reply.
  std::string endless;
  for (int i = 0; endless.size() < 60000; ++i)
    endless += "220-line " + std::to_string(i) + " of a greeting that goes on\r\n";
  const SessionOptions opt;
  REQUIRE(endless.size() > opt.max_reply);
  Run r = PlayAll(25, {{"", endless}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, opt.banner_cap));
  CHECK(r.last_bytes.empty());
}

TEST_CASE("SmtpMultiLineGreetingBeyondMaxReplyBelowBannerCapKeepsWholeLines") {
  std::string endless;
  for (int i = 0; endless.size() < 60000; ++i) endless += "220-" + std::to_string(i) + "\r\n";
  SessionOptions opt;
  opt.max_reply = 1000;
  Run r = PlayAll(25, {{"", endless}}, opt);
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  // Every line that fitted in max_reply, nothing more.
  REQUIRE(r.rec.banner.size() <= opt.max_reply);
  CHECK(r.rec.banner.size() > opt.max_reply - 12);
  CHECK(r.rec.banner == endless.substr(0, r.rec.banner.size()));
  CHECK(r.rec.banner.substr(r.rec.banner.size() - 2) == "\r\n");
}

TEST_CASE("SmtpGreetingEndingInAnEndlessLineKeepsFirstBytes") {
  std::string head = "220-mx.example.org ESMTP\r\n220-Welcome\r\n";
  std::string endless = head + "220 " + std::string(100000 - head.size(), 'z');
  SessionOptions opt;
  opt.banner_cap = 1024;
  Run r = PlayAll(25, {{"", endless}}, opt);
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, 1024));
}

TEST_CASE("SmtpSilenceAfterHeloIsIoTimeout") {
  Stepped t(25);
  auto& [rec, opt, s] = t;
  s.Start();
  REQUIRE(s.OnBytes("220 hi\r\n").step == Step::kSend);
  Action a = s.OnBytes("500 what?\r\n");
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "HELO mailsweep.invalid\r\n");
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kIoTimeout);
  CHECK(Has(rec, results::kHeloFallback));
}

}  // namespace
}  // namespace mailsweep::probes
