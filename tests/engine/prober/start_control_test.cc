// engine::StartControl on a fake clock: the adaptive start rate and window start, grow, halve
// once per episode, stop at their floors and ceilings; fixed mode never moves.
#include "engine/prober/start_control.h"

#include <catch2/catch.hpp>

namespace mailsweep::engine {
namespace {

constexpr uint64_t kT0 = 1'000'000'000;  // microseconds
constexpr uint64_t kQuarter = StartControl::kJudgeMs * 1000;

TEST_CASE("StartControlStartsHighWithASmallWindowAndFixedModeNeverMoves") {
  StartControl adaptive(true, 2, 500, 0, kT0);
  CHECK(adaptive.rate() == 5000);  // 10,000/s shared by two loops
  CHECK(adaptive.Limit() == 128);  // 256 shared by two loops
  StartControl capped(true, 1, 100, 300, kT0);
  CHECK(capped.rate() == 300);  // the user's ceiling
  CHECK(capped.Limit() == 100);
  StartControl fixed(false, 1, 1000, 40, kT0);
  for (int i = 0; i < 10; ++i) fixed.NoteConnect(true, kT0 + 1);
  fixed.Judge(kT0 + kQuarter, 1000);
  CHECK(fixed.rate() == 40);
  CHECK(fixed.Limit() == 1000);
  CHECK_FALSE(fixed.NoteFirstByte(10'000'000, kT0, 1000));  // no judgement of greetings either
}

TEST_CASE("StartControlHalvesRateAndWindowOncePerEpisode") {
  StartControl c(true, 1, 1000, 0, kT0);
  for (int i = 0; i < 20; ++i) c.NoteConnect(i < 3, kT0 + 1);  // 3 of 20 bad: over 5%
  c.Judge(kT0 + kQuarter / 2, 200);  // too early: nothing judged yet
  CHECK(c.rate() == 10000);
  c.Judge(kT0 + kQuarter, 200);
  CHECK(c.rate() == 5000);
  CHECK(c.Limit() == 100);  // half of the 200 in flight, not of the window
  // Bad connects begun before that halving belong to its episode: no second halving.
  for (int i = 0; i < 20; ++i) c.NoteConnect(true, kT0 + 2);
  c.Judge(kT0 + 2 * kQuarter, 100);
  CHECK(c.rate() == 5000);
  CHECK(c.Limit() == 100);
  // Begun after it, they halve again.
  for (int i = 0; i < 20; ++i) c.NoteConnect(true, kT0 + kQuarter + 1);
  c.Judge(kT0 + 3 * kQuarter, 100);
  CHECK(c.rate() == 2500);
  CHECK(c.Limit() == 50);
}

TEST_CASE("StartControlFewBadConnectsDoNotHalve") {
  StartControl c(true, 1, 1000, 0, kT0);
  for (int i = 0; i < 100; ++i) c.NoteConnect(i < 5, kT0 + 1);  // 5%: not more than 5%
  c.Judge(kT0 + kQuarter, 200);
  CHECK(c.rate() == 10000);
  for (int i = 0; i < 2; ++i) c.NoteConnect(true, kT0 + 1);  // 2 of 2, but fewer than 3
  c.Judge(kT0 + 2 * kQuarter, 200);
  CHECK(c.rate() == 10000);
}

TEST_CASE("StartControlWindowGrowsPerPromptGreetingOnlyWhileItLimits") {
  StartControl c(true, 1, 300, 0, kT0);
  REQUIRE(c.Limit() == 256);
  CHECK_FALSE(c.NoteFirstByte(1000, kT0, 100));  // under half used: says nothing about more
  CHECK(c.Limit() == 256);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(c.NoteFirstByte(1000, kT0, 250));
  CHECK(c.Limit() == 266);
  for (int i = 0; i < 100; ++i) c.NoteFirstByte(1000, kT0, 300);
  CHECK(c.Limit() == 300);  // -c is the ceiling
}

TEST_CASE("StartControlOverdueGreetingIsBadAndHalves") {
  StartControl c(true, 1, 1000, 0, kT0);
  const uint64_t late = uint64_t{StartControl::kSlowGreetingMs} * 1000;
  for (int i = 0; i < 3; ++i) CHECK(c.NoteFirstByte(late, kT0 + 1, 256));
  c.Judge(kT0 + kQuarter, 256);
  CHECK(c.rate() == 5000);
  CHECK(c.Limit() == 128);
}

TEST_CASE("StartControlRateHeldBackDoublesThenGrowsBySteps") {
  StartControl c(true, 1, 1000, 0, kT0);
  c.NoteRateHeldBack();
  c.Judge(kT0 + kQuarter, 10);
  CHECK(c.rate() == 20000);
  c.Judge(kT0 + 2 * kQuarter, 10);  // not held back: no growth
  CHECK(c.rate() == 20000);
  for (int i = 0; i < 3; ++i) c.NoteConnect(true, kT0 + 1);
  c.Judge(kT0 + 3 * kQuarter, 10);
  CHECK(c.rate() == 10000);
  c.NoteRateHeldBack();
  c.Judge(kT0 + 4 * kQuarter, 10);
  CHECK(c.rate() == 10100);  // after a halving: additive
}

TEST_CASE("StartControlFloorsHold") {
  StartControl c(true, 1, 1000, 0, kT0);
  uint64_t t = kT0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 3; ++i) c.NoteConnect(true, t + 1);
    t += kQuarter;
    c.Judge(t, 1000);
  }
  CHECK(c.rate() == 20);
  CHECK(c.Limit() == 16);
}

TEST_CASE("StartControlTokensFollowTheRateWithABurstOfTenMilliseconds") {
  StartControl c(true, 1, 1000, 0, kT0);  // 10,000/s: 100 tokens at most at once
  uint64_t t = kT0 + 1'000'000;            // a second idle: the bucket is full, not 10,000
  int started = 0;
  while (c.HasToken(t)) {
    c.Spend(t);
    ++started;
  }
  CHECK(started == 100);
  t += 1000;  // 1 ms: 10 more
  started = 0;
  while (c.HasToken(t)) {
    c.Spend(t);
    ++started;
  }
  CHECK(started == 10);
  StartControl unlimited(false, 1, 10, 0, kT0);
  CHECK(unlimited.HasToken(kT0));  // rate 0: never holds back
}

}  // namespace
}  // namespace mailsweep::engine
