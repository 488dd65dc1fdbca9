// A pacer: a token bucket on the monotonic clock, asked once per batch (the sweeper's sender
// threads) or once per start (the prober's start rate, whose rate changes: SetRate).
// It keeps the exact count of tokens granted since its time origin, so the long-run rate is
// rate * elapsed with no accumulated rounding (no drift), and it caps the credit a late sender
// may claim at `burst` tokens by moving the origin forward (it cannot lose its limit after a
// stall: at most `burst` packets go back-to-back). A sender that oversleeps simply finds more
// tokens on its next call, so sleeping with coarse timers still gives the exact average rate.
//
// Pure arithmetic over caller-supplied times (nanoseconds), so tests drive it with a fake clock.
//
// Example:
//   TokenBucket bucket(250000.0, /*burst=*/512, NowNs());
//   for (;;) {
//     int64_t wait = bucket.Take(64, NowNs());
//     if (wait > 0) { SleepNs(wait); continue; }
//     SendBatch(64);
//   }
//
// One bucket belongs to one thread.
#ifndef MAILSWEEP_ENGINE_SWEEP_TOKEN_BUCKET_H_
#define MAILSWEEP_ENGINE_SWEEP_TOKEN_BUCKET_H_

#include <cstdint>

namespace mailsweep {

class TokenBucket {
 public:
  // `rate` tokens per second; 0 means unlimited (Take() always grants). `burst` >= 1 is the most
  // tokens that can pile up. The bucket starts empty at `now_ns`.
  TokenBucket(double rate, uint64_t burst, int64_t now_ns);

  // Takes `n` tokens (n <= burst) and returns 0, or returns the nanoseconds until `n` tokens will
  // be there and takes nothing.
  int64_t Take(uint64_t n, int64_t now_ns);

  // Empties the bucket as of `now_ns`: after a pause no credit is left to burst with.
  void Reset(int64_t now_ns);

  // From `now_ns` on, `rate` tokens per second and at most `burst` at once; the credit
  // available now is kept (up to the new burst).
  void SetRate(double rate, uint64_t burst, int64_t now_ns);

  // Tokens available at `now_ns` (capped at burst), for tests and status.
  uint64_t Available(int64_t now_ns);

  double rate() const { return rate_; }
  uint64_t granted() const { return granted_; }

 private:
  double rate_;
  uint64_t burst_;
  int64_t origin_ns_;     // time of token 0
  uint64_t granted_ = 0;  // tokens handed out since origin_ns_
};

}  // namespace mailsweep

#endif  // MAILSWEEP_ENGINE_SWEEP_TOKEN_BUCKET_H_
