// How fast and how many: a prober loop's adaptive start rate and its window of connections in
// flight, adapted as TCP adapts its congestion window (additive increase, multiplicative
// decrease). The loop (prober_loop.h) asks it before each start (TakeStart, Limit), tells it how
// connects and greetings went (NoteConnect, NoteFirstByte) and lets it judge once per pass
// (Judge). Pure arithmetic over caller-supplied monotonic times, so tests drive it with a fake
// clock.
//
// The rate starts high (10,000/s for all loops) and bounds bursts; the window starts at 256 and
// grows by one per greeting that came within kSlowGreetingMs of the connect, so it can grow no
// faster than servers answer. Once a quarter second (kJudgeMs) both halve when at least kBadMin
// and more than 1/kBadShare of the connects begun since the last halving were bad (slower than
// kSlowConnectUs, timed out, refused, reset or silent before the greeting, a greeting overdue);
// otherwise a rate that held targets back grows (doubling until the first halving, then by
// 100/s). Floors of 20/s and 16 connections (all loops), ceilings the user's -r and -c.
//
// Example:
//   StartControl control(/*adaptive=*/true, /*threads=*/1, /*max_connections=*/1000,
//                        /*max_rate=*/0, MonoUs());
//   control.Judge(now_us, in_flight);
//   if (in_flight < control.Limit() && control.HasToken(now_us)) { control.Spend(now_us); ... }
//
// One instance belongs to one loop thread.
#ifndef MAILSWEEP_ENGINE_PROBER_START_CONTROL_H_
#define MAILSWEEP_ENGINE_PROBER_START_CONTROL_H_

#include <algorithm>
#include <cstdint>

#include "base/token_bucket.h"

namespace mailsweep::engine {

class StartControl {
 public:
  static constexpr uint32_t kJudgeMs = 250;
  static constexpr uint32_t kSlowConnectUs = 1'000'000;
  static constexpr uint32_t kSlowGreetingMs = 2000;

  // `threads` loops share the totals; `max_connections` and `max_rate` (per second, 0: no
  // ceiling) are this loop's share. Not adaptive: the rate is max_rate and the window
  // max_connections, for good.
  StartControl(bool adaptive, uint32_t threads, uint32_t max_connections, double max_rate,
               uint64_t now_us);

  // Whether one start may go at `now_us`; Spend() takes it.
  [[nodiscard]] bool HasToken(uint64_t now_us);
  void Spend(uint64_t now_us) { bucket_.Take(1, static_cast<int64_t>(now_us) * 1000); }
  // HasToken said no while a target waited to start: the rate, not the input, held it back,
  // so the rate may grow at the next judgement.
  void NoteRateHeldBack() { rate_limited_ = true; }
  // The milliseconds until the next token, 1-10 (the loop's sleep when only the rate holds it).
  int MsUntilToken() const;

  // A connect ended: bad (slow, timed out, refused, reset or silent before the greeting) or not,
  // and when its connect() began (a connect begun before the last halving does not halve again).
  void NoteConnect(bool bad, uint64_t started_us);
  // The server's first byte came `waited_us` after the connect completed, with `in_flight`
  // connections open: a prompt one grows a window that limits, a late one is bad. True: late.
  bool NoteFirstByte(uint64_t waited_us, uint64_t started_us, uint32_t in_flight);
  // Once per kJudgeMs: halve or grow, as above.
  void Judge(uint64_t now_us, uint32_t in_flight);

  bool adaptive() const { return adaptive_; }
  double rate() const { return rate_; }  // 0: unlimited
  // Connections that may be in flight now: the window, at least 1, at most max_connections.
  uint32_t Limit() const {
    return std::min(max_connections_, std::max<uint32_t>(1, static_cast<uint32_t>(window_)));
  }

 private:
  void Repace(uint64_t now_us);  // the bucket follows rate_

  const bool adaptive_;
  const double share_;  // 1 / threads: this loop's part of the totals
  const uint32_t max_connections_;
  const double max_rate_;
  double rate_;
  double window_;
  TokenBucket bucket_;  // paces starts at rate_, with at most 10 ms of credit at once
  // The judged quarter second: connects and how many were bad, whether the rate held targets
  // back; whether still in slow start, and when the last halving was.
  uint64_t judged_at_us_;
  uint64_t halved_at_us_ = 0;
  uint32_t connects_ = 0;
  uint32_t bad_ = 0;
  bool rate_limited_ = false;
  bool slow_start_ = true;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_START_CONTROL_H_
