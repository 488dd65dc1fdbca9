// ProberPool against tiny in-process servers: every target probed once, the connection cap,
// back-pressure, pacing, running out of descriptors, failing sinks and a stalled loop. These
// open sockets, so they are hidden from the unit run ([.netns]) and run by
// tests/probes/integration.cmake inside a namespace of their own (tests/lab/in_netns.sh): all
// traffic stays on that namespace's loopback.
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

TEST_CASE("PoolProbesEveryTargetOnceAndCountsOutcomes", "[.netns]") {
  Pop3Server server;
  CollectingSinks sinks;
  auto pool = ProberPool::Create(SmallOptions(), &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 110, 200);
  std::vector<ProbeTarget> batch;
  for (int i = 0; i < 100; ++i) batch.push_back({kLocal2, 143});
  size_t taken = 0;
  while (taken < batch.size()) {
    taken += (*pool)->TrySubmitBatch(std::span(batch).subspan(taken));
    if (taken < batch.size()) std::this_thread::sleep_for(1ms);
  }
  // Generous bound; Drain returns as soon as everything is done.
  REQUIRE((*pool)->Drain(absl::Seconds(60)).ok());
  ProberStats s = (*pool)->Stats();
  CHECK(s.submitted == 300);
  CHECK(s.done == 300);
  CHECK(s.in_flight == 0);
  CHECK(s.abandoned == 0);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kPlaintextOnly)] == 200);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kConnectRefused)] == 100);
  REQUIRE(sinks.records.size() == 300);
  for (const auto& r : sinks.records) {
    if (r.port == 110) {
      CHECK(r.outcome == ProbeOutcome::kPlaintextOnly);
      CHECK(r.banner == "+OK test ready.\r\n");
      CHECK(r.auth_mechanisms == "PLAIN");
      CHECK((r.flags & results::kPlaintextLoginOffered) != 0);
    } else {
      CHECK(r.outcome == ProbeOutcome::kConnectRefused);
    }
  }
}

TEST_CASE("PoolRecordsATargetWithoutARouteAsUnreachableNotATimeout", "[.netns]") {
  // The namespace has only its loopback: connect() to 198.18.0.0/24 fails at once with
  // ENETUNREACH, and no packet leaves.
  CollectingSinks sinks;
  auto pool = ProberPool::Create(SmallOptions(), &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), 0xC6120001, 110, 5);
  REQUIRE((*pool)->Drain(absl::Seconds(30)).ok());
  ProberStats s = (*pool)->Stats();
  CHECK(s.done == 5);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kUnreachable)] == 5);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kConnectTimeout)] == 0);
  REQUIRE(sinks.records.size() == 5);
  for (const auto& r : sinks.records) CHECK(r.outcome == ProbeOutcome::kUnreachable);
}

// No socket is opened for an opted-out target, so this one runs with the unit tests.
TEST_CASE("PoolStartsNoOptedOutTargetAndCountsItSettled") {
  CollectingSinks sinks;
  targets::ExclusionOverlay overlay;
  overlay.Publish(targets::IntervalSet({{kLocal1, kLocal1}}));
  ProberOptions o = SmallOptions();
  o.overlay = &overlay;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 110, 50);
  REQUIRE((*pool)->Drain(absl::Seconds(10)).ok());
  const ProberStats s = (*pool)->Stats();
  CHECK(s.submitted == 50);
  CHECK(s.opted_out == 50);
  CHECK(s.started == 0);
  CHECK(s.done == 0);
  CHECK(s.abandoned == 0);
  CHECK(sinks.records.empty());
}

TEST_CASE("PoolHoldsTheConnectionCapAndReportsSaturation", "[.netns]") {
  int silent = Listen(kLocal1, 143);  // completes handshakes, never says a word
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;  // one address: all its targets go to one loop
  o.max_connections = 10;
  o.read_timeout_ms = 60000;
  o.target_timeout_ms = 60000;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 143, 50);
  ProberStats s;
  for (int i = 0; i < 500; ++i) {
    s = (*pool)->Stats();
    if (s.in_flight == 10 && s.queued == 40) break;
    std::this_thread::sleep_for(10ms);
  }
  CHECK(s.in_flight == 10);
  CHECK(s.queued == 40);
  CHECK(s.capacity == 10);
  CHECK((*pool)->Saturation() == Approx(1.0));
  // The drain bound is honoured: in-flight targets end as timed out, the queued are abandoned.
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE((*pool)->Drain(absl::Milliseconds(200)).ok());
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  s = (*pool)->Stats();
  CHECK(s.done == 10);
  CHECK(s.abandoned == 40);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kNoGreeting)] == 10);
  CHECK_FALSE((*pool)->TrySubmit(kLocal1, 143));  // draining: no new work
  close(silent);
}

TEST_CASE("PoolTrySubmitFailsWhenQueuesAreFull", "[.netns]") {
  int silent = Listen(kLocal1, 143);
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;
  o.max_connections = 1;
  o.queue_capacity = 4;
  o.read_timeout_ms = 60000;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += (*pool)->TrySubmit(kLocal1, 143) ? 1 : 0;
  CHECK(accepted >= 4);
  CHECK(accepted <= 5);  // the queue plus the one connection it may already have started
  REQUIRE((*pool)->Drain(absl::ZeroDuration()).ok());
  close(silent);
}

TEST_CASE("PoolPacesNewConnections", "[.netns]") {
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.connect_rate = 40;  // per second, both loops together
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  auto t0 = std::chrono::steady_clock::now();
  SubmitAll(pool->get(), kLocal2, 110, 40);  // refused at once: only the pacing takes time
  REQUIRE((*pool)->Drain(absl::Seconds(30)).ok());
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK((*pool)->Stats().done == 40);
  CHECK(elapsed >= 700ms);  // 40 at 40/s with a burst of at most 10 ms worth
}

// A POP3 server in a child process (its own descriptors, and the open-file limit it started
// with): greeting, CAPA, QUIT, one connection at a time, until killed.
pid_t ForkPop3Server(int listen_fd) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  for (;;) {
    int c = accept(listen_fd, nullptr, nullptr);
    if (c < 0) continue;
    auto write_all = [c](const char* s) { (void)!write(c, s, strlen(s)); };
    write_all("+OK test ready.\r\n");
    std::string in;
    char buf[512];
    bool capa = false;
    while (in.find("QUIT") == std::string::npos) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      if (!capa && in.find("CAPA\r\n") != std::string::npos) {
        write_all("+OK\r\nUSER\r\n.\r\n");
        capa = true;
      }
    }
    close(c);
  }
}

TEST_CASE("PoolOutOfDescriptorsWaitsAndWritesNoFakeRecords", "[.netns]") {
  // The cap (100 connections) is far above what the open-file limit leaves (~24): socket()
  // fails with EMFILE. Those targets must wait and be probed later, never be recorded as
  // timed out (which would count a live server as absent).
  int listen_fd = Listen(kLocal1, 110);
  pid_t server = ForkPop3Server(listen_fd);
  REQUIRE(server > 0);
  close(listen_fd);
  rlimit saved;
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  int open_now = 0;
  for (int fd = 0; fd < 4096; ++fd) open_now += fcntl(fd, F_GETFD) != -1 ? 1 : 0;
  {
    CollectingSinks sinks;
    ProberOptions o = SmallOptions();
    o.max_connections = 100;
    auto pool = ProberPool::Create(o, &sinks);  // epoll and eventfds first
    REQUIRE(pool.ok());
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(open_now + 4 + 24);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    SubmitAll(pool->get(), kLocal1, 110, 300, "pop.mail.example");  // names survive retries
    REQUIRE((*pool)->Drain(absl::Seconds(60)).ok());
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    ProberStats s = (*pool)->Stats();
    CHECK(s.local_errors > 0);
    CHECK(s.unprobed == 0);
    CHECK(s.done == 300);
    CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kPlaintextOnly)] == 300);
    REQUIRE(sinks.records.size() == 300);
    for (const auto& r : sinks.records) CHECK(r.domain == "pop.mail.example");
  }
  setrlimit(RLIMIT_NOFILE, &saved);
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
}

// Sinks whose every flush fails, as with a full disk.
class FailingSinks : public results::RecordSinkFactory {
 public:
  class Sink : public results::RecordSink {
   public:
    void Add(const results::SweepRecord&) override {}
    void Add(const results::ProbeRecord&) override {}
    absl::Status Flush() override { return absl::UnavailableError("write: No space left"); }
  };
  std::unique_ptr<results::RecordSink> NewSink() override { return std::make_unique<Sink>(); }
};

TEST_CASE("PoolStopsProbingWhenRecordsCannotBeWritten", "[.netns]") {
  FailingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  // Refused at once: the loop gets through them fast and flushes after 4096 records.
  std::vector<ProbeTarget> batch;
  for (int i = 0; i < 30000; ++i) {
    batch.push_back({kLocal2, 110, TargetName("mail.example")});  // freed when dropped
  }
  REQUIRE((*pool)->TrySubmitBatch(batch) == batch.size());
  for (int i = 0; i < 2000 && !(*pool)->SinkFailed(); ++i) std::this_thread::sleep_for(5ms);
  CHECK((*pool)->SinkFailed());
  CHECK_FALSE((*pool)->Drain(absl::Seconds(30)).ok());  // the sink's error
  ProberStats s = (*pool)->Stats();
  CHECK(s.done < 10000);  // stopped soon after the failed flush, not after all 30,000
  CHECK(s.done + s.abandoned == batch.size());
}

TEST_CASE("PoolStalledLoopRecordsNoFalseTimeouts", "[.netns]") {
  // The loop sleeps inside a callback for three times the connect and read deadlines while
  // hundreds of handshakes complete and greetings arrive. A deadline that fires afterwards must
  // find the connection established and its bytes waiting, not record a timeout the loop itself
  // caused.
  PipelinedPop3Server server;
  CollectingSinks sinks;
  ProberOptions o = SmallOptions();
  o.threads = 1;
  o.max_connections = 600;
  o.connect_timeout_ms = 300;
  o.read_timeout_ms = 300;
  std::atomic<int> connected{0};
  o.on_connected_for_test = [&connected] {
    if (connected.fetch_add(1) == 100) std::this_thread::sleep_for(1000ms);
  };
  auto pool = ProberPool::Create(o, &sinks);
  REQUIRE(pool.ok());
  SubmitAll(pool->get(), kLocal1, 110, 600);
  REQUIRE((*pool)->Drain(absl::Seconds(60)).ok());
  ProberStats s = (*pool)->Stats();
  CHECK(s.done == 600);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kPlaintextOnly)] == 600);
  CHECK(s.outcomes[static_cast<size_t>(ProbeOutcome::kConnectTimeout)] == 0);
  CHECK(s.lag_max_ms >= 1000);  // the stall shows as loop lag
  REQUIRE(sinks.records.size() == 600);
  for (const auto& r : sinks.records) {
    CHECK(r.outcome == ProbeOutcome::kPlaintextOnly);
    CHECK(r.attempts == 1);
  }
}

TEST_CASE("PoolRefusingATargetLeavesItItsName") {
  CollectingSinks sinks;
  auto pool = ProberPool::Create(SmallOptions(), &sinks);
  REQUIRE(pool.ok());
  REQUIRE((*pool)->Drain(absl::ZeroDuration()).ok());  // draining: every target is refused
  ProbeTarget t{kLocal2, 110, TargetName("mail.example")};
  const char* name = t.name.get();
  CHECK_FALSE((*pool)->TrySubmit(t));
  CHECK(t.name.get() == name);
  std::vector<ProbeTarget> batch;
  batch.push_back({kLocal2, 143, TargetName("imap.example")});
  CHECK((*pool)->TrySubmitBatch(batch) == 0);
  CHECK(std::string(batch[0].name.get()) == "imap.example");
}

TEST_CASE("PoolRejectsBadOptions") {
  CollectingSinks sinks;
  ProberOptions o;
  o.threads = 0;
  CHECK_FALSE(ProberPool::Create(o, &sinks).ok());
  o = ProberOptions();
  o.session.ehlo_name = "two words";
  CHECK_FALSE(ProberPool::Create(o, &sinks).ok());
  o = ProberOptions();
  o.sni = "192.0.2.1";  // an address is not a server name (RFC 6066)
  CHECK_FALSE(ProberPool::Create(o, &sinks).ok());
}

}  // namespace
}  // namespace mailsweep::engine
