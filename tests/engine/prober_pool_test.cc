// ProberPool against tiny in-process servers. These open sockets, so they are hidden from the
// unit run ([.netns]) and run by tests/probes/integration.cmake inside a namespace of their own
// (tests/lab/in_netns.sh): all traffic stays on that namespace's loopback.
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

namespace mailsweep::engine {
namespace {

using namespace std::chrono_literals;
using results::ProbeOutcome;

constexpr uint32_t kLocal1 = 0x7F000001;  // 127.0.0.1
constexpr uint32_t kLocal2 = 0x7F000002;  // 127.0.0.2: nothing listens

class CollectingSinks : public results::RecordSinkFactory {
 public:
  class Sink : public results::RecordSink {
   public:
    explicit Sink(CollectingSinks* owner) : owner_(owner) {}
    void Add(const results::SweepRecord&) override {}
    void Add(const results::ProbeRecord& r) override {
      std::lock_guard<std::mutex> lock(owner_->mu);
      owner_->records.push_back(r);
    }
    absl::Status Flush() override { return absl::OkStatus(); }

   private:
    CollectingSinks* owner_;
  };
  std::unique_ptr<results::RecordSink> NewSink() override { return std::make_unique<Sink>(this); }
  std::mutex mu;
  std::vector<results::ProbeRecord> records;
};

int Listen(uint32_t address, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(address);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(listen(fd, 4096) == 0);
  return fd;
}

// A sequential POP3 server without STLS: greeting, CAPA, QUIT.
class Pop3Server {
 public:
  Pop3Server() : fd_(Listen(kLocal1, 110)), thread_([this] { Serve(); }) {}
  ~Pop3Server() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      Write(c, "+OK test ready.\r\n");
      char buf[512];
      std::string in;
      while (in.find("QUIT") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        if (in.find("CAPA\r\n") != std::string::npos && !capa_sent_) {
          Write(c, "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n");
          capa_sent_ = true;
        }
      }
      capa_sent_ = false;
      close(c);
    }
  }
  static void Write(int c, const char* s) { (void)!write(c, s, strlen(s)); }
  int fd_;
  std::atomic<bool> stop_{false};
  bool capa_sent_ = false;
  std::thread thread_;
};

// Every target of these tests is one address of the loopback: no destination caps, a fixed
// rate and no retries, unless a test is about them.
ProberOptions SmallOptions() {
  ProberOptions o;
  o.threads = 2;
  o.max_connections = 20;
  o.connect_timeout_ms = 2000;
  o.read_timeout_ms = 5000;
  o.target_timeout_ms = 20000;
  o.per_address_cap = 0;
  o.per_prefix_cap = 0;
  o.adaptive_rate = false;
  o.retries = 0;
  return o;
}

// Accepts every connection in a thread of its own; the first `reset_first` get an RST at once,
// the others a POP3 greeting and CAPA reply written in one go (the prober reads the greeting,
// sends CAPA and finds the reply already there), then are kept open until the server ends.
class PipelinedPop3Server {
 public:
  explicit PipelinedPop3Server(int reset_first = 0)
      : fd_(Listen(kLocal1, 110)), reset_first_(reset_first), thread_([this] { Serve(); }) {}
  ~PipelinedPop3Server() {
    stop_ = true;
    thread_.join();
    for (int c : open_) close(c);
    close(fd_);
  }
  int accepted() const { return accepted_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      if (accepted_.fetch_add(1) < reset_first_) {
        linger l{1, 0};  // close with an RST: a reset before the greeting
        setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        close(c);
        continue;
      }
      const char* reply = "+OK hi\r\n+OK\r\nUSER\r\n.\r\n";
      (void)!write(c, reply, strlen(reply));
      open_.push_back(c);
    }
  }
  int fd_;
  const int reset_first_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> open_;
  std::thread thread_;
};

// `name`: every target gets its own copy (the pool owns what it takes).
void SubmitAll(ProberPool* pool, uint32_t address, uint16_t port, int n,
               std::string_view name = {}) {
  for (int i = 0; i < n; ++i) {
    ProbeTarget t{address, port, TargetName(name)};
    while (!pool->TrySubmit(t)) std::this_thread::sleep_for(1ms);
  }
}

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
