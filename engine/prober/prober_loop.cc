#include "engine/prober/prober_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "base/strings.h"

namespace mailsweep::engine {
namespace {

using results::ProbeOutcome;

constexpr uint64_t kWakeTag = ~uint64_t{0};
constexpr uint32_t kChunk = 1024;
// A pass of the loop does bounded work, so that readiness is looked at often and no deadline
// is judged by a clock read long before: at most this many starts and events per pass.
constexpr uint32_t kStartsPerPass = 64;
constexpr int kEventsPerPass = 64;
constexpr size_t kScratch = 64 * 1024;
// After a local error with nothing of ours open: the pause before the next try, and how many
// such failures in a row (100 x 100 ms = 10 s) make the waiting targets given up.
constexpr uint32_t kRetryPauseMs = 100;
constexpr uint32_t kGiveUpAfter = 100;

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}
uint64_t MonoUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

// Outcomes that say more about the moment than about the server: tried again later.
bool Transient(const results::ProbeRecord& r) {
  switch (r.outcome) {
    case ProbeOutcome::kConnectTimeout:
    case ProbeOutcome::kNoGreeting:
    case ProbeOutcome::kServiceUnavailable:
    case ProbeOutcome::kIoTimeout:
      return true;
    case ProbeOutcome::kConnectionReset:
      return r.banner.empty();  // reset before the greeting (a full queue, a busy server)
    case ProbeOutcome::kImplicitTlsFailed:
    case ProbeOutcome::kStartTlsHandshakeFailed:
      // The handshake's read deadline passed: a read timeout like any other (a server too busy
      // to answer), not a server that cannot do TLS.
      return r.tls.failure == "timeout";
    default:
      return false;
  }
}
int64_t UnixUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

// One connection. Lives in the slab; `generation` changes every time the slot is reused so a
// stale epoll event or timer for an earlier occupant is recognised and dropped.
struct ProberLoop::Conn {
  enum class Phase : uint8_t { kFree, kConnecting, kActive };
  int fd = -1;
  uint32_t slot = 0;  // fixed for the Conn's lifetime
  uint32_t generation = 0;
  Phase phase = Phase::kFree;
  bool handshake_done = false;
  uint32_t events = 0;
  uint32_t tls_bytes = 0;
  // The first byte from the server (a greeting, or the TLS server's first flight) and whether
  // a missing one was noted as slow; when the greeting is overdue (0: no check pending).
  bool heard = false;
  bool slow_noted = false;
  uint64_t greeting_due_ms = 0;
  uint64_t connected_mono_us = 0;
  uint64_t start_mono_us = 0;
  uint64_t read_deadline_ms = 0;
  uint64_t target_deadline_ms = 0;
  results::ProbeRecord record;
  std::optional<probes::Session> session;
  std::unique_ptr<probes::TlsClient> tls;
  std::string pending_out;  // ciphertext/plaintext the socket did not take yet
};

absl::StatusOr<std::unique_ptr<ProberLoop>> ProberLoop::Create(
    const ProberOptions* options, const probes::TlsContext* tls,
    std::unique_ptr<results::RecordSink> sink, uint32_t max_connections, double connect_rate) {
  std::unique_ptr<ProberLoop> loop(
      new ProberLoop(options, tls, std::move(sink), max_connections, connect_rate));
  loop->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epoll_fd_ < 0) return absl::InternalError(StrCat("epoll_create1: ", strerror(errno)));
  loop->event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->event_fd_ < 0) return absl::InternalError(StrCat("eventfd: ", strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, loop->event_fd_, &ev) != 0) {
    return absl::InternalError(StrCat("epoll_ctl(eventfd): ", strerror(errno)));
  }
  return loop;
}

ProberLoop::ProberLoop(const ProberOptions* options, const probes::TlsContext* tls,
                       std::unique_ptr<results::RecordSink> sink, uint32_t max_connections,
                       double connect_rate)
    : options_(options),
      tls_(tls),
      sink_(std::move(sink)),
      max_connections_(std::max<uint32_t>(1, max_connections)),
      control_(options->adaptive_rate, options->threads, max_connections_, connect_rate, MonoUs()),
      caps_(options->per_address_cap, options->per_prefix_cap),
      queue_(options->queue_capacity),
      wheel_(10, 4096, NowMs()),
      scratch_(kScratch) {
  PublishControl();
}

ProberLoop::~ProberLoop() {
  DropQueued();  // frees the names of whatever still waits (nothing, after Run())
  for (auto& chunk : chunks_) {
    for (uint32_t i = 0; i < kChunk; ++i) {
      if (chunk[i].fd >= 0) close(chunk[i].fd);
    }
  }
  if (event_fd_ >= 0) close(event_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool ProberLoop::Submit(const ProbeTarget& t) {
  if (!queue_.TryPush(t)) return false;
  counters_.submitted.fetch_add(1, std::memory_order_relaxed);
  if (sleeping_.exchange(false, std::memory_order_seq_cst)) Wake();
  return true;
}

void ProberLoop::Wake() {
  uint64_t one = 1;
  ssize_t n = write(event_fd_, &one, sizeof(one));
  (void)n;  // EAGAIN means a wake-up is already pending
}

void ProberLoop::RequestStop() {
  stop_.store(true, std::memory_order_seq_cst);
  Wake();
}

void ProberLoop::Run() noexcept {
  loop_thread_ = std::this_thread::get_id();
  epoll_event events[kEventsPerPass];
  uint64_t pass_start_us = MonoUs();
  while (!stop_.load(std::memory_order_acquire)) {
    control_.Judge(MonoUs(), in_flight_);
    PublishControl();
    const bool more = StartTargets();
    uint64_t now;
    now = NowMs();
    int timeout = wheel_.NextTimeoutMs(now);
    const bool have_work = HaveStartable(now);
    if (more) {
      timeout = 0;  // the pass's budget ran out with more to start: look at events, go on
    } else if (hold_ && in_flight_ == 0) {
      timeout = std::max<int>(1, static_cast<int>(retry_at_ms_ > now ? retry_at_ms_ - now : 1));
    } else if (!hold_ && in_flight_ < control_.Limit() && have_work && control_.rate() > 0) {
      // Only the rate holds us back: sleep until the next token (at most 10 ms).
      timeout = control_.MsUntilToken();
    } else if (timeout < 0 || timeout > 1000) {
      timeout = 1000;  // periodic sink flush
    }
    if (!retry_due_.empty() && retry_due_.front().first > now && timeout != 0 && !hold_ &&
        in_flight_ < control_.Limit()) {
      // Wake for the next retry; one already due that is still here cannot start yet (the rate
      // branch above waits for its token), and a full loop wakes when a connection ends.
      timeout = std::min<int>(timeout < 0 ? 1000 : timeout,
                              static_cast<int>(retry_due_.front().first - now));
    }
    if (timeout != 0) {
      sleeping_.store(true, std::memory_order_seq_cst);
      // A target submitted after have_work was read but before sleeping_ was set found the loop
      // awake and did not wake it: look again rather than sleep on it.
      if (!have_work && queue_.ApproxSize() > 0) timeout = 0;
    }
    NotePass(MonoUs() - pass_start_us, now);
    int n = epoll_wait(epoll_fd_, events, kEventsPerPass, timeout);
    pass_start_us = MonoUs();
    sleeping_.store(false, std::memory_order_relaxed);
    // Readiness first, then timers: a deadline never fires for a socket whose news is waiting
    // in this batch.
    for (int i = 0; i < n; ++i) OnEvent(events[i].data.u64, events[i].events);
    now = NowMs();
    wheel_.Advance(now, [this](uint32_t slot) { OnDeadline(slot); });
    if (records_since_flush_ > 0 &&
        (records_since_flush_ >= 4096 || now - last_flush_ms_ >= 1000)) {
      absl::Status s = sink_->Flush();
      if (!s.ok() && sink_status_.ok()) {
        sink_status_ = s;
        counters_.sink_failed.store(true, std::memory_order_release);
      }
      records_since_flush_ = 0;
      last_flush_ms_ = now;
    }
  }
  AbortAll();
  absl::Status s = sink_->Flush();
  if (!s.ok() && sink_status_.ok()) sink_status_ = s;
}

void ProberLoop::NotePass(uint64_t busy_us, uint64_t now_ms) {
  const uint32_t ms = static_cast<uint32_t>(busy_us / 1000);
  if (now_ms - lag_window_ms_ >= 1000) {
    counters_.lag_ms.store(lag_window_max_ms_, std::memory_order_relaxed);
    lag_window_ms_ = now_ms;
    lag_window_max_ms_ = 0;
  }
  lag_window_max_ms_ = std::max(lag_window_max_ms_, ms);
  if (ms > counters_.lag_max_ms.load(std::memory_order_relaxed)) {
    counters_.lag_max_ms.store(ms, std::memory_order_relaxed);
  }
}

void ProberLoop::PublishControl() {
  counters_.connect_rate.store(control_.rate(), std::memory_order_relaxed);
  counters_.window.store(control_.Limit(), std::memory_order_relaxed);
}

void ProberLoop::NoteFirstByte(Conn& c) {
  c.heard = true;
  if (c.slow_noted) return;
  c.slow_noted = control_.NoteFirstByte(MonoUs() - c.connected_mono_us, c.start_mono_us,
                                        in_flight_);
}

bool ProberLoop::HaveStartable(uint64_t now_ms) const {
  return queue_.ApproxSize() > 0 || !retry_.empty() || caps_.has_ready() ||
         (!retry_due_.empty() && retry_due_.front().first <= now_ms);
}

void ProberLoop::PublishWaiting() {
  counters_.waiting.store(retry_due_.size() + caps_.waiting(), std::memory_order_release);
}

// Priority: targets a finished connection freed from a cap, retries that are due, targets that
// met a local error, then the queue. A target a cap holds back waits under its /24; the queue is
// read on only while fewer than max_connections targets wait so.
bool ProberLoop::NextTarget(ProbeTarget* t) {
  for (;;) {
    if (caps_.PopReady(t)) {
    } else if (!retry_due_.empty() && retry_due_.front().first <= NowMs()) {
      *t = retry_due_.front().second;
      retry_due_.pop_front();
    } else if (!retry_.empty()) {
      *t = retry_.front();
      retry_.pop_front();
      counters_.retrying.store(retry_.size(), std::memory_order_release);
    } else if (caps_.held() >= max_connections_ || !queue_.TryPop(t)) {
      PublishWaiting();
      return false;
    }
    if (caps_.Allow(t->address)) break;
    caps_.Hold(*t);
  }
  PublishWaiting();
  return true;
}

bool ProberLoop::StartTargets() {
  AssertInLoopThread();
  const uint64_t now_us = MonoUs();
  if (hold_ && NowMs() >= retry_at_ms_) hold_ = false;
  if (counters_.sink_failed.load(std::memory_order_relaxed) ||
      abandon_queued_.load(std::memory_order_relaxed)) {
    // Records can no longer be written (what is queued would be probed for nothing), or the
    // user stopped the run: targets in flight finish, queued ones are dropped and counted.
    DropQueued();
    return false;
  }
  for (uint32_t started = 0; !hold_ && in_flight_ < control_.Limit(); ++started) {
    if (!control_.HasToken(now_us)) {
      if (HaveStartable(NowMs())) control_.NoteRateHeldBack();
      return false;
    }
    if (started == kStartsPerPass) return true;
    ProbeTarget t;
    if (!NextTarget(&t)) return false;
    control_.Spend(now_us);
    StartOne(t);
  }
  return false;
}

void ProberLoop::RetryLater(Conn& c, uint64_t now_ms) {
  if (c.fd >= 0) {
    close(c.fd);
    c.fd = -1;
  }
  counters_.local_errors.fetch_add(1, std::memory_order_relaxed);
  // StartOne freed the target's name into the record; the retry gets its own copy.
  ProbeTarget t{c.record.address, c.record.port, nullptr,
                static_cast<uint8_t>(c.record.attempts - 1)};
  if (c.record.domain != options_->sni) t.name = NewTargetName(c.record.domain);
  Release(c);
  // Nothing of ours is open and it still fails: the machine is out of something (or misses
  // --source-ip). Keep trying for kGiveUpAfter pauses, then give the waiting targets up; the
  // commands report them as not probed.
  if (in_flight_ == 0 && ++failures_while_idle_ >= kGiveUpAfter) {
    counters_.unprobed.fetch_add(1 + retry_.size(), std::memory_order_relaxed);
    FreeTargetName(t.name);
    for (ProbeTarget& r : retry_) FreeTargetName(r.name);
    retry_.clear();
    counters_.retrying.store(0, std::memory_order_release);
    failures_while_idle_ = 0;
    return;
  }
  retry_.push_front(t);
  counters_.retrying.store(retry_.size(), std::memory_order_release);
  hold_ = true;
  retry_at_ms_ = now_ms + kRetryPauseMs;
}

uint32_t ProberLoop::AllocSlot() {
  if (free_slots_.empty()) {
    chunks_.push_back(std::make_unique<Conn[]>(kChunk));
    for (uint32_t i = 0; i < kChunk; ++i) chunks_.back()[i].slot = slots_ + i;
    for (uint32_t i = kChunk; i > 0; --i) free_slots_.push_back(slots_ + i - 1);
    slots_ += kChunk;
    wheel_.Resize(slots_);
  }
  uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

void ProberLoop::SetEvents(Conn& c, uint32_t events) {
  if (c.events == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t{c.generation} << 32) | c.slot;
  epoll_ctl(epoll_fd_, c.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
  c.events = events;
}

ProberLoop::Conn* ProberLoop::Lookup(uint64_t data) {
  uint32_t slot = static_cast<uint32_t>(data);
  uint32_t generation = static_cast<uint32_t>(data >> 32);
  if (slot >= slots_) return nullptr;
  Conn& c = chunks_[slot / kChunk][slot % kChunk];
  if (c.phase == Conn::Phase::kFree || c.generation != generation) return nullptr;
  return &c;
}

void ProberLoop::StartOne(ProbeTarget t) {
  uint32_t slot = AllocSlot();
  Conn& c = chunks_[slot / kChunk][slot % kChunk];
  ++c.generation;
  c.phase = Conn::Phase::kConnecting;
  c.handshake_done = false;
  c.events = 0;
  c.tls_bytes = 0;
  c.heard = false;
  c.slow_noted = false;
  c.greeting_due_ms = 0;
  c.tls.reset();
  c.pending_out.clear();
  c.record = results::ProbeRecord{};
  c.record.address = t.address;
  c.record.port = t.port;
  c.record.protocol = results::ProtocolForPort(t.port);
  c.record.tls_mode = results::TlsModeForPort(t.port);
  c.record.attempts = static_cast<uint8_t>(t.attempt + 1);
  if (t.name != nullptr) {
    c.record.domain = t.name;
    FreeTargetName(t.name);  // the target is consumed; RetryLater makes a new one
  } else {
    c.record.domain = options_->sni;
  }
  c.session.emplace(&c.record, &options_->session);
  ++in_flight_;
  caps_.Opened(t.address);
  counters_.in_flight.store(in_flight_, std::memory_order_release);
  counters_.started.fetch_add(1, std::memory_order_relaxed);

  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return RetryLater(c, NowMs());
  int one = 1;
  if (options_->source_address != 0) {
    // The local port is chosen at connect(), per destination, not here from the one ephemeral
    // range shared by every destination (which 28,000 connections would exhaust).
    setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(options_->source_address);
    if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
      return RetryLater(c, NowMs());
    }
  }
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(t.port);
  dst.sin_addr.s_addr = htonl(t.address);
  // Every time and deadline of this attempt counts from here, the connect() itself.
  c.record.start_us = UnixUs();
  c.start_mono_us = MonoUs();
  const uint64_t now_ms = c.start_mono_us / 1000;
  c.target_deadline_ms = now_ms + options_->target_timeout_ms;
  int rc = connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
  int err = rc == 0 ? 0 : errno;
  if (rc == 0 || err == EINPROGRESS) {
    failures_while_idle_ = 0;
    SetEvents(c, EPOLLOUT);
    c.read_deadline_ms = now_ms + options_->connect_timeout_ms;
    wheel_.Schedule(slot, std::min(c.read_deadline_ms, c.target_deadline_ms));
    return;
  }
  if (err == ECONNREFUSED) {
    control_.NoteConnect(true, c.start_mono_us);
    FinishWithOutcome(c, ProbeOutcome::kConnectRefused);
  } else if (err == EADDRNOTAVAIL || err == EAGAIN || err == ENOBUFS || err == ENOMEM) {
    RetryLater(c, now_ms);  // no local port or memory: ours, not the target's
  } else {
    // ENETUNREACH, EHOSTUNREACH, ETIMEDOUT, EACCES (a firewall of ours), ...: the target
    // cannot be reached from here.
    FinishWithOutcome(c, ProbeOutcome::kConnectTimeout);
  }
}

void ProberLoop::OnEvent(uint64_t data, uint32_t events) {
  AssertInLoopThread();
  if (data == kWakeTag) {
    uint64_t v;
    ssize_t n = read(event_fd_, &v, sizeof(v));
    (void)n;
    return;
  }
  Conn* c = Lookup(data);
  if (c == nullptr) return;
  if (c->phase == Conn::Phase::kConnecting) {
    OnConnected(*c);
    return;
  }
  if (events & EPOLLOUT) {
    OnWritable(*c);
    if (c->phase == Conn::Phase::kFree) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) OnReadable(*c);
}

void ProberLoop::OnConnected(Conn& c) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    control_.NoteConnect(true, c.start_mono_us);
    // ECONNRESET: the handshake completed and the server reset the connection before we looked
    // (a full accept queue, a busy server): a reset before the greeting, not a timeout.
    FinishWithOutcome(c, err == ECONNREFUSED ? ProbeOutcome::kConnectRefused
                         : err == ECONNRESET ? ProbeOutcome::kConnectionReset
                                             : ProbeOutcome::kConnectTimeout);
    return;
  }
  c.connected_mono_us = MonoUs();
  c.record.connect_us = static_cast<uint32_t>(c.connected_mono_us - c.start_mono_us);
  control_.NoteConnect(c.record.connect_us >= StartControl::kSlowConnectUs, c.start_mono_us);
  if (control_.adaptive()) {
    c.greeting_due_ms = c.connected_mono_us / 1000 + StartControl::kSlowGreetingMs;
  }
  if (options_->on_connected_for_test) options_->on_connected_for_test();
  c.phase = Conn::Phase::kActive;
  SetEvents(c, EPOLLIN | EPOLLRDHUP);
  ArmRead(c, options_->read_timeout_ms);
  Apply(c, c.session->Start());
}

void ProberLoop::ArmRead(Conn& c, uint32_t ms) {
  if (c.phase == Conn::Phase::kFree) return;
  c.read_deadline_ms = NowMs() + ms;
  Reschedule(c);
}

void ProberLoop::Reschedule(Conn& c) {
  uint64_t at = std::min(c.read_deadline_ms, c.target_deadline_ms);
  if (c.greeting_due_ms != 0) at = std::min(at, c.greeting_due_ms);
  wheel_.Schedule(c.slot, at);
}

void ProberLoop::Apply(Conn& c, probes::Action a) {
  for (int guard = 0; guard < 8; ++guard) {
    switch (a.step) {
      case probes::Step::kWait:
        ArmRead(c, a.wait_ms != 0 ? a.wait_ms : options_->read_timeout_ms);
        return;
      case probes::Step::kSend:
        SendPlain(c, a.bytes);
        if (c.phase == Conn::Phase::kFree) return;
        ArmRead(c, options_->read_timeout_ms);
        a = c.session->OnBytes(std::span<const uint8_t>());  // a reply may already be buffered
        if (a.step == probes::Step::kWait && a.wait_ms == 0) return;
        continue;
      case probes::Step::kStartTls:
        BeginTls(c);
        return;
      case probes::Step::kDone:
        if (!a.bytes.empty()) SendPlain(c, a.bytes);
        if (c.phase != Conn::Phase::kFree) Finish(c);
        return;
    }
  }
}

void ProberLoop::BeginTls(Conn& c) {
  c.tls = std::make_unique<probes::TlsClient>(tls_, c.record.domain);
  c.handshake_done = false;
  ArmRead(c, options_->read_timeout_ms);
  probes::TlsClient::Status st = c.tls->Handshake();
  FlushTls(c);
  if (st == probes::TlsClient::Status::kFailed && c.phase != Conn::Phase::kFree) {
    c.tls->FillFacts(&c.record.tls, &cert_cache_);
    Apply(c, c.session->OnTlsFailed());
  }
}

void ProberLoop::FlushTls(Conn& c) {
  if (!c.tls) return;
  auto out = c.tls->pending_output();
  if (out.empty()) return;
  size_t n = out.size();
  SendRaw(c, out.data(), n);
  if (c.tls) c.tls->ConsumeOutput(n);
}

void ProberLoop::SendPlain(Conn& c, std::string_view bytes) {
  if (c.tls && c.handshake_done) {
    c.tls->WritePlain(bytes);
    FlushTls(c);
    return;
  }
  SendRaw(c, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

void ProberLoop::SendRaw(Conn& c, const uint8_t* data, size_t n) {
  if (c.fd < 0 || n == 0) return;
  if (!c.pending_out.empty()) {
    c.pending_out.append(reinterpret_cast<const char*>(data), n);
    return;
  }
  ssize_t sent = send(c.fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return;  // the read side sees the reset
    sent = 0;
  }
  if (static_cast<size_t>(sent) < n) {
    c.pending_out.assign(reinterpret_cast<const char*>(data) + sent, n - sent);
    SetEvents(c, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
  }
}

void ProberLoop::OnWritable(Conn& c) {
  while (!c.pending_out.empty()) {
    ssize_t sent =
        send(c.fd, c.pending_out.data(), c.pending_out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent <= 0) {
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      c.pending_out.clear();
      break;
    }
    c.pending_out.erase(0, static_cast<size_t>(sent));
  }
  std::string().swap(c.pending_out);
  SetEvents(c, EPOLLIN | EPOLLRDHUP);
}

void ProberLoop::OnReadable(Conn& c) {
  // Level-triggered: one read per wake-up keeps loops fair between connections.
  ssize_t n = recv(c.fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    Apply(c, c.session->OnClosed());
    return;
  }
  if (!c.heard) NoteFirstByte(c);
  std::span<const uint8_t> data(scratch_.data(), static_cast<size_t>(n));
  if (!c.tls) {
    Apply(c, c.session->OnBytes(data));
    return;
  }
  c.tls_bytes += static_cast<uint32_t>(n);
  if (c.tls_bytes > options_->tls_max_bytes) {
    c.record.tls.failure = "too many bytes";
    if (!c.handshake_done) {
      Apply(c, c.session->OnTlsFailed());
    } else {
      Apply(c, c.session->OnClosed());
    }
    return;
  }
  c.tls->FeedInput(data);
  AfterTlsInput(c);
}

void ProberLoop::AfterTlsInput(Conn& c) {
  if (!c.handshake_done) {
    probes::TlsClient::Status st = c.tls->Handshake();
    FlushTls(c);
    if (c.phase == Conn::Phase::kFree) return;
    if (st == probes::TlsClient::Status::kInProgress) {
      ArmRead(c, options_->read_timeout_ms);  // handshake bytes are progress, as reply bytes are
      return;
    }
    c.tls->FillFacts(&c.record.tls, &cert_cache_);
    if (st == probes::TlsClient::Status::kFailed) {
      Apply(c, c.session->OnTlsFailed());
      return;
    }
    c.handshake_done = true;
    Apply(c, c.session->OnTlsEstablished());
  }
  uint8_t plain[16 * 1024];
  while (c.phase != Conn::Phase::kFree && c.session && !c.session->done()) {
    int n = c.tls->ReadPlain(plain, sizeof(plain));
    if (n == 0) break;
    if (n < 0) {
      Apply(c, c.session->OnClosed());
      return;
    }
    Apply(c, c.session->OnBytes(std::span<const uint8_t>(plain, static_cast<size_t>(n))));
  }
  FlushTls(c);  // post-handshake messages (TLS 1.3 key updates) and alerts
}

bool ProberLoop::SocketReady(const Conn& c) const {
  if (c.fd < 0) return false;
  pollfd p{c.fd,
           static_cast<short>(c.phase == Conn::Phase::kConnecting ? POLLOUT : POLLIN | POLLRDHUP),
           0};
  return poll(&p, 1, 0) > 0 && p.revents != 0;
}

void ProberLoop::OnDeadline(uint32_t slot) {
  AssertInLoopThread();
  Conn& c = chunks_[slot / kChunk][slot % kChunk];
  if (c.phase == Conn::Phase::kFree) return;
  // The deadline may have passed while this loop was busy elsewhere: what the socket already
  // holds (a finished handshake, bytes, EOF, an error) is handled as the event it is, and only
  // a socket with nothing waiting times out.
  if (SocketReady(c)) {
    if (c.phase == Conn::Phase::kConnecting) {
      OnConnected(c);
    } else {
      OnReadable(c);
    }
    if (c.phase == Conn::Phase::kFree) return;
    // Progress re-arms the timer (every byte does, as an event would have); without progress,
    // or past the target's own firm deadline, the deadline is judged below.
    if (NowMs() < c.target_deadline_ms && wheel_.armed(slot)) return;
  }
  uint64_t now = NowMs();
  if (c.phase == Conn::Phase::kConnecting) {
    control_.NoteConnect(true, c.start_mono_us);
    FinishWithOutcome(c, ProbeOutcome::kConnectTimeout);
    return;
  }
  if (c.greeting_due_ms != 0 && now >= c.greeting_due_ms) {
    c.greeting_due_ms = 0;
    if (!c.heard && !c.slow_noted) {  // connected, and still not a byte: a server that queues
      c.slow_noted = true;
      control_.NoteConnect(true, c.start_mono_us);
    }
  }
  if (now >= c.target_deadline_ms) {
    // The whole target is out of time: a session may still want one more step (the injection
    // window), so ask until it is done, then end it regardless.
    for (int i = 0; i < 3 && c.phase != Conn::Phase::kFree; ++i) {
      probes::Action a = c.session->OnTimeout();
      if (a.step == probes::Step::kDone) {
        Apply(c, a);
        return;
      }
    }
    if (c.phase != Conn::Phase::kFree) Finish(c);
    return;
  }
  if (now >= c.read_deadline_ms) {
    if (c.tls && !c.handshake_done) c.tls->FillFacts(&c.record.tls, &cert_cache_);
    Apply(c, c.session->OnTimeout());
    return;
  }
  Reschedule(c);
}

void ProberLoop::FinishWithOutcome(Conn& c, ProbeOutcome outcome) {
  c.record.outcome = outcome;
  Finish(c);
}

bool ProberLoop::RetryTransient(Conn& c) {
  const uint8_t attempt = c.record.attempts - 1;  // attempts before this one
  if (attempt >= options_->retries || !Transient(c.record) || stop_.load() ||
      abandon_queued_.load(std::memory_order_relaxed)) {
    return false;
  }
  const bool silent = c.record.outcome == ProbeOutcome::kNoGreeting ||
                      (c.record.outcome == ProbeOutcome::kImplicitTlsFailed && c.tls_bytes == 0);
  // Reset or silent before the greeting after a good connect (a reset seen at the connect
  // itself was noted there): a server under pressure.
  if (c.record.banner.empty() && c.record.connect_us != 0 && !c.slow_noted &&
      (c.record.outcome == ProbeOutcome::kConnectionReset || silent)) {
    control_.NoteConnect(true, c.start_mono_us);
  }
  ProbeTarget t{c.record.address, c.record.port, nullptr, static_cast<uint8_t>(attempt + 1)};
  if (c.record.domain != options_->sni) t.name = NewTargetName(c.record.domain);
  retry_due_.emplace_back(NowMs() + options_->retry_delay_ms, t);
  counters_.retried.fetch_add(1, std::memory_order_relaxed);
  PublishWaiting();
  wheel_.Cancel(c.slot);
  if (c.fd >= 0) {
    close(c.fd);
    c.fd = -1;
  }
  Release(c);
  return true;
}

void ProberLoop::Finish(Conn& c) {
  AssertInLoopThread();
  const uint32_t slot = c.slot;
  if (RetryTransient(c)) return;
  wheel_.Cancel(slot);
  if (c.tls && c.record.tls.version == 0 && c.record.tls.failure.empty()) {
    c.tls->FillFacts(&c.record.tls, &cert_cache_);
  }
  c.record.duration_us = static_cast<uint32_t>(MonoUs() - c.start_mono_us);
  if (c.fd >= 0) {
    close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
  }
  sink_->Add(c.record);
  ++records_since_flush_;
  uint8_t o = static_cast<uint8_t>(c.record.outcome);
  counters_.outcomes[o & 15].fetch_add(1, std::memory_order_relaxed);
  counters_.done.fetch_add(1, std::memory_order_relaxed);
  Release(c);
}

void ProberLoop::Release(Conn& c) {
  caps_.Closed(c.record.address);  // a target this connection's caps held back may go now
  c.phase = Conn::Phase::kFree;
  c.session.reset();
  c.tls.reset();
  std::string().swap(c.pending_out);
  c.record = results::ProbeRecord{};
  free_slots_.push_back(c.slot);
  --in_flight_;
  counters_.in_flight.store(in_flight_, std::memory_order_release);
  hold_ = false;  // a descriptor and a port are free again (RetryLater sets it back)
}

void ProberLoop::Discard(Conn& c) {
  wheel_.Cancel(c.slot);
  if (c.fd >= 0) {
    close(c.fd);
    c.fd = -1;
  }
  counters_.abandoned.fetch_add(1, std::memory_order_relaxed);
  Release(c);
}

void ProberLoop::AbortAll() {
  for (uint32_t slot = 0; slot < slots_; ++slot) {
    Conn& c = chunks_[slot / kChunk][slot % kChunk];
    if (c.phase == Conn::Phase::kFree) continue;
    if (!options_->record_abandoned) {
      Discard(c);
      continue;
    }
    if (c.phase == Conn::Phase::kConnecting) {
      FinishWithOutcome(c, ProbeOutcome::kConnectTimeout);
      continue;
    }
    c.target_deadline_ms = 0;
    OnDeadline(slot);
    if (c.phase != Conn::Phase::kFree) Finish(c);
  }
  DropQueued();
}

void ProberLoop::DropQueued() {
  ProbeTarget t;
  while (queue_.TryPop(&t)) {
    FreeTargetName(t.name);
    counters_.abandoned.fetch_add(1, std::memory_order_relaxed);
  }
  counters_.abandoned.fetch_add(retry_.size() + retry_due_.size() + caps_.DropAll(),
                                std::memory_order_relaxed);
  for (ProbeTarget& r : retry_) FreeTargetName(r.name);
  retry_.clear();
  for (auto& [due, r] : retry_due_) FreeTargetName(r.name);
  retry_due_.clear();
  counters_.retrying.store(0, std::memory_order_release);
  counters_.waiting.store(0, std::memory_order_release);
}

}  // namespace mailsweep::engine
