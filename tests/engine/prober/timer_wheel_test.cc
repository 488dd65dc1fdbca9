#include "engine/prober/timer_wheel.h"

#include <catch2/catch.hpp>

namespace mailsweep::engine {
namespace {

TEST_CASE("TimerWheelFiresAtOrAfterDeadlineNeverBefore") {
  TimerWheel wheel(10, 64, 1000);
  wheel.Resize(8);
  wheel.Schedule(1, 1055);
  wheel.Schedule(2, 1005);
  std::vector<uint32_t> fired;
  auto fire = [&](uint32_t id) { fired.push_back(id); };
  wheel.Advance(1004, fire);
  CHECK(fired.empty());
  wheel.Advance(1010, fire);
  CHECK(fired == std::vector<uint32_t>{2});
  wheel.Advance(1050, fire);
  CHECK(fired.size() == 1);
  wheel.Advance(1060, fire);
  CHECK(fired == std::vector<uint32_t>{2, 1});
  CHECK(wheel.size() == 0);
  CHECK(wheel.NextTimeoutMs(1060) == -1);
}

TEST_CASE("TimerWheelHandlesDeadlinesBeyondOneRevolution") {
  TimerWheel wheel(10, 16, 0);  // one revolution = 160 ms
  wheel.Resize(4);
  wheel.Schedule(3, 1000);
  std::vector<uint32_t> fired;
  for (uint64_t t = 0; t < 1000; t += 7)
    wheel.Advance(t, [&](uint32_t id) { fired.push_back(id); });
  CHECK(fired.empty());
  wheel.Advance(1003, [&](uint32_t id) { fired.push_back(id); });
  CHECK(fired == std::vector<uint32_t>{3});
}

TEST_CASE("TimerWheelRescheduleAndCancel") {
  TimerWheel wheel(10, 64, 0);
  wheel.Resize(4);
  wheel.Schedule(0, 50);
  wheel.Schedule(1, 50);
  wheel.Schedule(0, 500);  // moved later
  wheel.Cancel(1);
  std::vector<uint32_t> fired;
  wheel.Advance(100, [&](uint32_t id) { fired.push_back(id); });
  CHECK(fired.empty());
  CHECK(wheel.armed(0));
  CHECK_FALSE(wheel.armed(1));
  // A fire callback may re-arm its own timer.
  wheel.Advance(500, [&](uint32_t id) {
    fired.push_back(id);
    wheel.Schedule(id, 700);
  });
  CHECK(fired == std::vector<uint32_t>{0});
  CHECK(wheel.armed(0));
}

TEST_CASE("TimerWheelPastDeadlineFiresOnNextAdvance") {
  TimerWheel wheel(10, 64, 1000);
  wheel.Resize(2);
  wheel.Advance(2000, [](uint32_t) {});
  wheel.Schedule(1, 1500);
  int n = 0;
  wheel.Advance(2000, [&](uint32_t) { ++n; });
  wheel.Advance(2010, [&](uint32_t) { ++n; });
  CHECK(n == 1);
}

}  // namespace
}  // namespace mailsweep::engine
