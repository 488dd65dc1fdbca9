#include "engine/prober/retry_schedule.h"

#include <catch2/catch.hpp>
#include <string>

namespace mailsweep::engine {
namespace {

using results::ProbeOutcome;

TEST_CASE("IsTransientTakesTimeoutsAndResetsBeforeTheGreetingOnly") {
  results::ProbeRecord r;
  r.outcome = ProbeOutcome::kConnectTimeout;
  CHECK(IsTransient(r));
  r.outcome = ProbeOutcome::kConnectRefused;
  CHECK_FALSE(IsTransient(r));
  r.outcome = ProbeOutcome::kConnectionReset;
  CHECK(IsTransient(r));
  r.banner = "+OK ready\r\n";
  CHECK_FALSE(IsTransient(r));  // reset after the greeting: the server's answer
  r = results::ProbeRecord{};
  r.outcome = ProbeOutcome::kStartTlsHandshakeFailed;
  r.tls.failure = "timeout";
  CHECK(IsTransient(r));
  r.tls.failure = "handshake failure";
  CHECK_FALSE(IsTransient(r));
}

TEST_CASE("RetryScheduleHoldsAfterALocalFailureUntilThePauseOrARelease") {
  RetrySchedule s;
  CHECK(s.AddLocalFailure(ProbeTarget{1, 110}, /*nothing_open=*/false, 1000) == 0);
  CHECK(s.holding());
  CHECK(s.hold_until_ms() == 1000 + RetrySchedule::kRetryPauseMs);
  s.ReleaseIfDue(1050);
  CHECK(s.holding());
  s.ReleaseIfDue(1100);
  CHECK_FALSE(s.holding());
  CHECK(s.AddLocalFailure(ProbeTarget{2, 110}, false, 2000) == 0);
  s.Release();  // a connection ended
  CHECK_FALSE(s.holding());
  ProbeTarget t;
  REQUIRE(s.PopLocal(&t));
  CHECK(t.address == 2);  // the latest failure is tried first
  REQUIRE(s.PopLocal(&t));
  CHECK(t.address == 1);
  CHECK_FALSE(s.PopLocal(&t));
}

TEST_CASE("RetryScheduleGivesUpAfterTooManyFailuresWithNothingOpen") {
  RetrySchedule s;
  CHECK(s.AddLocalFailure(ProbeTarget{1, 110, TargetName("a.example")}, false, 0) == 0);
  for (uint32_t i = 1; i < RetrySchedule::kGiveUpAfter; ++i) {
    CHECK(s.AddLocalFailure(ProbeTarget{2, 110}, /*nothing_open=*/true, i) == 0);
    ProbeTarget t;
    REQUIRE(s.PopLocal(&t));  // tried again, and failed again
  }
  CHECK(s.local_waiting() == 1);
  // The last failure in a row gives it up with every target that waits.
  CHECK(s.AddLocalFailure(ProbeTarget{2, 110}, true, 500) == 2);
  CHECK(s.local_waiting() == 0);
  s.NoteConnectStarted();
  CHECK(s.AddLocalFailure(ProbeTarget{3, 110}, true, 600) == 0);  // a new run of failures
}

TEST_CASE("RetryScheduleHandsTransientRetriesOutWhenDueInOrder") {
  RetrySchedule s;
  uint64_t due = 0;
  CHECK_FALSE(s.next_due(&due));
  s.AddTransient(ProbeTarget{1, 143, TargetName("imap.example"), 1}, 3000);
  s.AddTransient(ProbeTarget{2, 143}, 3500);
  REQUIRE(s.next_due(&due));
  CHECK(due == 3000);
  ProbeTarget t;
  CHECK_FALSE(s.HasDue(2999));
  CHECK_FALSE(s.PopDue(2999, &t));
  REQUIRE(s.PopDue(3200, &t));
  CHECK(t.address == 1);
  CHECK(t.attempt == 1);
  CHECK(std::string(t.name.get()) == "imap.example");
  CHECK_FALSE(s.PopDue(3200, &t));
  CHECK(s.due_waiting() == 1);
}

TEST_CASE("RetryScheduleDropAllCountsBothKinds") {
  RetrySchedule s;
  CHECK(s.AddLocalFailure(ProbeTarget{1, 110, TargetName("mail.example")}, false, 0) == 0);
  s.AddTransient(ProbeTarget{2, 110, TargetName("mail.example")}, 10);
  s.AddTransient(ProbeTarget{3, 110}, 20);
  CHECK(s.DropAll() == 3);
  CHECK(s.local_waiting() == 0);
  CHECK(s.due_waiting() == 0);
}

}  // namespace
}  // namespace mailsweep::engine
