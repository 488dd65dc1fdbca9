// What the ProberPool tests share (prober_pool_test.cc, prober_pool_control_test.cc): tiny
// in-process servers on the loopback, a sink that keeps every record, small options and a
// submit loop. For tests run inside a network namespace of their own (tests/lab/in_netns.sh);
// the servers run on threads of their own, the sinks lock.
#ifndef MAILSWEEP_TESTS_ENGINE_PROBER_POOL_TEST_SUPPORT_H_
#define MAILSWEEP_TESTS_ENGINE_PROBER_POOL_TEST_SUPPORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/prober/prober_pool.h"

namespace mailsweep::engine::pool_test {

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

inline int Listen(uint32_t address, uint16_t port) {
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
inline ProberOptions SmallOptions() {
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
inline void SubmitAll(ProberPool* pool, uint32_t address, uint16_t port, int n,
               std::string_view name = {}) {
  for (int i = 0; i < n; ++i) {
    ProbeTarget t{address, port, TargetName(name)};
    while (!pool->TrySubmit(t)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace mailsweep::engine::pool_test

#endif  // MAILSWEEP_TESTS_ENGINE_PROBER_POOL_TEST_SUPPORT_H_
