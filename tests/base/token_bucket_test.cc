#include "base/token_bucket.h"

#include <catch2/catch.hpp>

namespace mailsweep {
namespace {

// Drives a bucket like a sender: asks for `batch`, "sleeps" exactly as told plus `overshoot_ns`
// (a coarse timer), until `duration_ns` of fake time; returns packets granted.
uint64_t Simulate(double rate, uint64_t batch, uint64_t burst, int64_t duration_ns,
                  int64_t overshoot_ns) {
  int64_t now = 1'000'000'000;
  const int64_t end = now + duration_ns;
  TokenBucket b(rate, burst, now);
  uint64_t sent = 0;
  while (now < end) {
    const int64_t wait = b.Take(batch, now);
    if (wait == 0) {
      sent += batch;
      now += 100;  // the send itself
    } else {
      now += wait + overshoot_ns;
    }
  }
  return sent;
}

}  // namespace

TEST_CASE("TokenBucket holds the rate within 2% from 1k to 10M per second", "[token_bucket]") {
  for (double rate : {1e3, 1e4, 1e5, 1e6, 1e7}) {
    const uint64_t batch = rate < 1e5 ? 1 : 64;
    const uint64_t burst = std::max<uint64_t>(2 * batch, static_cast<uint64_t>(rate * 0.004));
    for (int64_t overshoot : {int64_t{0}, int64_t{60'000}, int64_t{500'000}}) {
      const uint64_t sent = Simulate(rate, batch, burst, 10'000'000'000, overshoot);
      INFO("rate " << rate << " overshoot " << overshoot << " sent " << sent);
      CHECK(static_cast<double>(sent) >= rate * 10 * 0.98);
      CHECK(static_cast<double>(sent) <= rate * 10 * 1.02 + static_cast<double>(burst));
    }
  }
}

TEST_CASE("TokenBucket does not drift over a long run", "[token_bucket]") {
  // One hour at 333,333 p/s: rounding per batch must not accumulate.
  const uint64_t sent = Simulate(333333, 64, 1333, 3600'000'000'000, 10'000);
  CHECK(static_cast<double>(sent) == Approx(333333.0 * 3600).epsilon(0.0005));
}

TEST_CASE("TokenBucket caps the credit after a stall at the burst", "[token_bucket]") {
  TokenBucket b(1000, 10, 0);
  // Ten seconds idle would be 10,000 tokens; only 10 may go back to back.
  const int64_t later = 10'000'000'000;
  CHECK(b.Available(later) == 10);
  CHECK(b.Take(10, later) == 0);
  CHECK(b.Take(1, later) > 0);
  // After the burst the rate is exact again: 1 token per ms.
  CHECK(b.Take(1, later + 1'000'000) == 0);
  CHECK(b.Take(1, later + 1'000'000) > 0);
}

TEST_CASE("TokenBucket Reset leaves no credit to burst with", "[token_bucket]") {
  TokenBucket b(1000, 100, 0);
  b.Reset(5'000'000'000);
  CHECK(b.Available(5'000'000'000) == 0);
  const int64_t wait = b.Take(1, 5'000'000'000);
  CHECK(wait == 1'000'000);
}

TEST_CASE("TokenBucket with rate 0 is unlimited", "[token_bucket]") {
  TokenBucket b(0, 1, 0);
  for (int i = 0; i < 1000; ++i) REQUIRE(b.Take(64, 0) == 0);
}

TEST_CASE("TokenBucket SetRate keeps the credit up to the new burst", "[token_bucket]") {
  TokenBucket b(1000, 100, 0);
  const int64_t t = 50'000'000;  // 50 ms: 50 tokens
  REQUIRE(b.Available(t) == 50);
  b.SetRate(2000, 100, t);
  CHECK(b.Available(t) == 50);                // kept
  CHECK(b.Available(t + 10'000'000) == 70);   // then 2 per ms
  b.SetRate(500, 20, t + 10'000'000);
  CHECK(b.Available(t + 10'000'000) == 20);   // cut to the new burst
  b.SetRate(0, 1, t + 10'000'000);
  CHECK(b.Take(1000, t + 10'000'000) == 0);   // unlimited
  b.SetRate(1000, 10, t + 20'000'000);
  CHECK(b.Available(t + 20'000'000) == 0);    // no credit carried out of unlimited
}

}  // namespace mailsweep
