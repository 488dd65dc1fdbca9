// ProberPool's load control against tiny in-process servers: retries of transient outcomes,
// the caps per address and per /24, the adaptive start rate and window. Hidden from the unit
// run ([.netns]) like prober_pool_test.cc and run with it by tests/probes/integration.cmake.
#include "engine/prober/prober_pool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/prober/pool_test_support.h"

namespace mailsweep::engine {
namespace {

using namespace pool_test;  // NOLINT(build/namespaces): the shared servers and helpers
using namespace std::chrono_literals;
using results::ProbeOutcome;

TEST_CASE("PoolRetriesTransientOutcomesAndCountsAttempts", "[.netns]") {
  // The first 30 connections are reset before the greeting; with one retry every target ends
  // as the server really is, its record saying it took two connections.
  PipelinedPop3Server server(30);
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;  // one address: all its targets go to one loop
  o.max_connections = 30;
  o.retries = 1;
  o.retry_delay_ms = 100;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 110, 30);
  // All 30 first attempts start before any retry (30 connections are allowed at once).
  REQUIRE((*pool)->Drain(absl::Seconds(60)).ok());
  ProberStats s = (*pool)->Stats();
  CHECK(s.done == 30);
  CHECK(s.retried == 30);
  CHECK(s.started == 60);
  REQUIRE(sinks.records.size() == 30);
  for (const auto& r : sinks.records) {
    CHECK(r.outcome == ProbeOutcome::kPlaintextOnly);
    CHECK(r.attempts == 2);
  }
}

TEST_CASE("PoolWithoutRetriesRecordsTheTransientOutcome", "[.netns]") {
  PipelinedPop3Server server(10);
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;
  o.max_connections = 1;  // one at a time: exactly the first 10 targets meet the resets
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 110, 20);
  REQUIRE((*pool)->Drain(absl::Seconds(60)).ok());
  ProberStats s = (*pool)->Stats();
  CHECK(s.retried == 0);
  for (const auto& r : sinks.records) {
    if (r.outcome != ProbeOutcome::kPlaintextOnly)
      CHECK(r.outcome == ProbeOutcome::kConnectionReset);
  }
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kConnectionReset)] == 10);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kPlaintextOnly)] == 10);
  for (const auto& r : sinks.records) CHECK(r.attempts == 1);
}

TEST_CASE("PoolRetriesATlsHandshakeThatTimedOut", "[.netns]") {
  // An implicit-TLS port that completes the TCP handshake and never answers the ClientHello:
  // the handshake's read deadline is a read timeout like any other, so it is tried again.
  int silent = Listen(kLocal1, 993);
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.read_timeout_ms = 200;
  o.retries = 1;
  o.retry_delay_ms = 100;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 993, 3);
  REQUIRE((*pool)->Drain(absl::Seconds(30)).ok());
  CHECK((*pool)->Stats().retried == 3);
  REQUIRE(sinks.records.size() == 3);
  for (const auto& r : sinks.records) {
    CHECK(r.outcome == ProbeOutcome::kImplicitTlsFailed);
    CHECK(r.tls.failure == "timeout");
    CHECK(r.attempts == 2);
  }
  close(silent);
}

TEST_CASE("PoolHoldsTheCapsPerAddressAndPer24", "[.netns]") {
  int silent = Listen(0, 143);  // every loopback address: handshakes complete, no greeting
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.max_connections = 100;
  o.per_address_cap = 3;
  o.per_prefix_cap = 5;
  o.read_timeout_ms = 60000;
  o.target_timeout_ms = 60000;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 143, 10);     // 127.0.0.1: 3 at once
  SubmitAll(pool->get(), 0x7F000105, 143, 10);  // 127.0.1.5: 3 at once ...
  SubmitAll(pool->get(), 0x7F000106, 143, 10);  // ... and 127.0.1.6, 5 in 127.0.1.0/24
  ProberStats s;
  for (int i = 0; i < 300; ++i) {
    s = (*pool)->Stats();
    if (s.in_flight == 8) break;
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(200ms);  // nothing more may start
  s = (*pool)->Stats();
  CHECK(s.in_flight == 8);
  CHECK(s.queued == 22);
  REQUIRE((*pool)->Drain(absl::ZeroDuration()).ok());
  s = (*pool)->Stats();
  CHECK(s.done + s.abandoned == 30);
  close(silent);
}

TEST_CASE("PoolStartRateFallsWhenConnectsAreRefused", "[.netns]") {
  // 127.0.0.2 refuses every connect: the adaptive rate halves episode after episode (each needs
  // refusals begun after the last halving), down from its first value, and the window with it;
  // every target still gets its record.
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;
  o.max_connections = 1000;
  o.adaptive_rate = true;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  const ProberStats first = (*pool)->Stats();
  CHECK(first.connect_rate > 0);
  int submitted = 0;
  ProberStats s = first;
  for (int i = 0; i < 100 && s.connect_rate >= first.connect_rate / 2; ++i) {  // up to ~10 s
    SubmitAll(pool->get(), kLocal2, 110, 100);
    submitted += 100;
    std::this_thread::sleep_for(100ms);
    s = (*pool)->Stats();
  }
  REQUIRE((*pool)->Drain(absl::Seconds(120)).ok());
  s = (*pool)->Stats();
  CHECK(s.done == static_cast<uint64_t>(submitted));
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kConnectRefused)] == s.done);
  CHECK(s.connect_rate < first.connect_rate / 2);
  CHECK(s.window < first.window);
}

TEST_CASE("PoolStartRateGrowsWhileConnectsSucceed", "[.netns]") {
  // 5,000 targets at once are more than the first rate starts in a quarter second: the rate
  // holds them back, connects succeed, and it grows. The server keeps every connection open.
  rlimit lim;
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  const rlimit saved = lim;
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 16384);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  REQUIRE(lim.rlim_cur >= 8000);
  {
    PipelinedPop3Server server;
    CollectingSinks sinks;
    ProberOptions o = SmallOptions();
    o.threads = 1;
    o.max_connections = 1000;
    o.adaptive_rate = true;
    auto pool = ProberPool::Create(o, &sinks);
    REQUIRE(pool.ok());
    const double first = (*pool)->Stats().connect_rate;
    SubmitAll(pool->get(), kLocal1, 110, 5000);
    REQUIRE((*pool)->Drain(absl::Seconds(120)).ok());
    ProberStats s = (*pool)->Stats();
    CHECK(s.done == 5000);
    CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kPlaintextOnly)] == 5000);
    CHECK(s.connect_rate > first);
  }
  setrlimit(RLIMIT_NOFILE, &saved);
}

TEST_CASE("PoolWindowHalvesWhileGreetingsAreOverdue", "[.netns]") {
  // Handshakes complete in the listen queue and no greeting ever comes (a server that accepted
  // more than it serves): the start rate alone would open all 600 within about a second; the
  // window (256 at first) never lets more than that be in flight, and halves once the
  // greetings are overdue.
  int silent = Listen(0, 143);
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;
  o.max_connections = 1000;
  o.adaptive_rate = true;
  o.read_timeout_ms = 60000;
  o.target_timeout_ms = 60000;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  const uint32_t first = (*pool)->Stats().window;
  CHECK(first == 256);
  SubmitAll(pool->get(), kLocal1, 143, 600);
  uint64_t most = 0;
  ProberStats s;
  for (int i = 0; i < 400; ++i) {  // up to 4 s
    s = (*pool)->Stats();
    most = std::max(most, s.in_flight);
    if (s.window < first) break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(most <= first);
  CHECK(most >= first / 2);  // the window, not the rate, held the rest back
  CHECK(s.window < first);
  CHECK(s.in_flight > s.window);  // nothing starts until enough have ended
  REQUIRE((*pool)->Drain(absl::ZeroDuration()).ok());
  s = (*pool)->Stats();
  CHECK(s.done + s.abandoned == 600);
  close(silent);
}

TEST_CASE("PoolWindowGrowsWithPromptGreetings", "[.netns]") {
  // Every connection is greeted at once and then kept waiting for its CAPA reply: the window is
  // what limits, and each prompt greeting lets it grow past its first 256.
  int fd = Listen(kLocal1, 110);
  std::atomic<bool> stop{false};
  std::vector<int> open;
  std::thread server([&] {
    while (!stop) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int c = accept(fd, nullptr, nullptr);
      if (c < 0) continue;
      (void)!write(c, "+OK hi\r\n", 8);
      open.push_back(c);
    }
  });
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;
  o.max_connections = 800;
  o.adaptive_rate = true;
  o.read_timeout_ms = 4000;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  const uint32_t first = (*pool)->Stats().window;
  SubmitAll(pool->get(), kLocal1, 110, 800);
  uint64_t most = 0;
  for (int i = 0; i < 300 && most < 800; ++i) {
    most = std::max(most, (*pool)->Stats().in_flight);
    std::this_thread::sleep_for(10ms);
  }
  CHECK(most > first);
  CHECK((*pool)->Stats().window > first);
  REQUIRE((*pool)->Drain(absl::Seconds(60)).ok());
  CHECK((*pool)->Stats().done == 800);
  stop = true;
  server.join();
  for (int c : open) close(c);
  close(fd);
}

}  // namespace
}  // namespace mailsweep::engine
