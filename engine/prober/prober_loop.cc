#include "engine/prober/prober_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/clock.h"
#include "base/sandbox.h"
#include "base/strings.h"
#include "engine/prober/probe_attempt.h"

namespace mailsweep::engine {
namespace {

using results::ProbeOutcome;

constexpr uint64_t kWakeTag = ~uint64_t{0};
// A pass of the loop does bounded work, so that readiness is looked at often and no deadline
// is judged by a clock read long before: at most this many starts and events per pass.
constexpr uint32_t kStartsPerPass = 64;
constexpr int kEventsPerPass = 64;
constexpr size_t kScratch = 64 * 1024;

}  // namespace

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
      control_(options->adaptive_rate, options->threads, max_connections_, connect_rate,
               MonotonicUs()),
      caps_(options->per_address_cap, options->per_prefix_cap),
      queue_(options->queue_capacity),
      wheel_(10, 4096, MonotonicMs()),
      scratch_(kScratch) {
  PublishControl();
}

ProberLoop::~ProberLoop() {
  DropQueued();  // frees the names of whatever still waits (nothing, after Run())
  if (event_fd_ >= 0) close(event_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool ProberLoop::Submit(ProbeTarget& t) {
  char* name = t.name.release();
  if (!queue_.TryPush({t.address, t.port, t.attempt, name})) {
    t.name = TargetName::Adopt(name);
    return false;
  }
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
  uint64_t pass_start_us = MonotonicUs();
  while (!stop_.load(std::memory_order_acquire)) {
    control_.Judge(MonotonicUs(), in_flight_);
    PublishControl();
    const bool more = StartTargets();
    uint64_t now;
    now = MonotonicMs();
    int timeout = wheel_.NextTimeoutMs(now);
    const bool have_work = HaveStartable(now);
    if (more) {
      timeout = 0;  // the pass's budget ran out with more to start: look at events, go on
    } else if (retries_.holding() && in_flight_ == 0) {
      const uint64_t until = retries_.hold_until_ms();
      timeout = std::max<int>(1, static_cast<int>(until > now ? until - now : 1));
    } else if (!retries_.holding() && in_flight_ < control_.Limit() && have_work &&
               control_.rate() > 0) {
      // Only the rate holds us back: sleep until the next token (at most 10 ms).
      timeout = control_.MsUntilToken();
    } else if (timeout < 0 || timeout > 1000) {
      timeout = 1000;  // periodic sink flush
    }
    uint64_t due = 0;
    if (retries_.next_due(&due) && due > now && timeout != 0 && !retries_.holding() &&
        in_flight_ < control_.Limit()) {
      // Wake for the next retry; one already due that is still here cannot start yet (the rate
      // branch above waits for its token), and a full loop wakes when a connection ends.
      timeout = std::min<int>(timeout < 0 ? 1000 : timeout,
                              static_cast<int>(due - now));
    }
    if (timeout != 0) {
      sleeping_.store(true, std::memory_order_seq_cst);
      // A target submitted after have_work was read but before sleeping_ was set found the loop
      // awake and did not wake it: look again rather than sleep on it.
      if (!have_work && queue_.ApproxSize() > 0) timeout = 0;
    }
    NotePass(MonotonicUs() - pass_start_us, now);
    int n = epoll_wait(epoll_fd_, events, kEventsPerPass, timeout);
    pass_start_us = MonotonicUs();
    sleeping_.store(false, std::memory_order_relaxed);
    // Readiness first, then timers: a deadline never fires for a socket whose news is waiting
    // in this batch.
    for (int i = 0; i < n; ++i) OnEvent(events[i].data.u64, events[i].events);
    now = MonotonicMs();
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

bool ProberLoop::HaveStartable(uint64_t now_ms) const {
  return queue_.ApproxSize() > 0 || retries_.local_waiting() > 0 || caps_.has_ready() ||
         retries_.HasDue(now_ms);
}

void ProberLoop::PublishWaiting() {
  counters_.waiting.store(retries_.due_waiting() + caps_.waiting(), std::memory_order_release);
}

// Priority: targets a finished connection freed from a cap, retries that are due, targets that
// met a local error, then the queue. A target a cap holds back waits under its /24; the queue is
// read on only while fewer than max_connections targets wait so.
bool ProberLoop::NextTarget(ProbeTarget* t) {
  for (;;) {
    if (caps_.PopReady(t)) {
    } else if (retries_.PopDue(MonotonicMs(), t)) {
    } else if (retries_.PopLocal(t)) {
      counters_.retrying.store(retries_.local_waiting(), std::memory_order_release);
    } else if (QueuedTarget q; caps_.held() < max_connections_ && queue_.TryPop(&q)) {
      *t = ProbeTarget{q.address, q.port, TargetName::Adopt(q.name), q.attempt};
    } else {
      PublishWaiting();
      return false;
    }
    if (options_->overlay != nullptr &&
        targets::IsExcluded(options_->overlay->Current(), t->address)) {
      counters_.opted_out.fetch_add(1, std::memory_order_release);  // settled: see Idle()
      continue;
    }
    if (caps_.Allow(t->address)) break;
    caps_.Hold(std::move(*t));
  }
  PublishWaiting();
  return true;
}

bool ProberLoop::StartTargets() {
  AssertInLoopThread();
  const uint64_t now_us = MonotonicUs();
  retries_.ReleaseIfDue(MonotonicMs());
  if (counters_.sink_failed.load(std::memory_order_relaxed) ||
      abandon_queued_.load(std::memory_order_relaxed)) {
    // Records can no longer be written (what is queued would be probed for nothing), or the
    // user stopped the run: targets in flight finish, queued ones are dropped and counted.
    DropQueued();
    return false;
  }
  for (uint32_t started = 0; !retries_.holding() && in_flight_ < control_.Limit(); ++started) {
    if (!control_.HasToken(now_us)) {
      if (HaveStartable(MonotonicMs())) control_.NoteRateHeldBack();
      return false;
    }
    if (started == kStartsPerPass) return true;
    ProbeTarget t;
    if (!NextTarget(&t)) return false;
    TryForbiddenCallForTest(SandboxThread::kProber);  // tests only; targets come after set-up
    control_.Spend(now_us);
    StartOne(std::move(t));
  }
  return false;
}

void ProberLoop::RetryLater(Conn& c, uint64_t now_ms) {
  c.CloseSocket();
  counters_.local_errors.fetch_add(1, std::memory_order_relaxed);
  // StartOne freed the target's name into the record; the retry gets its own copy.
  ProbeTarget t =
      NextAttempt(c.record, options_->sni, static_cast<uint8_t>(c.record.attempts - 1));
  Release(c);
  const uint64_t given_up = retries_.AddLocalFailure(std::move(t), in_flight_ == 0, now_ms);
  if (given_up > 0) counters_.unprobed.fetch_add(given_up, std::memory_order_relaxed);
  counters_.retrying.store(retries_.local_waiting(), std::memory_order_release);
}

uint32_t ProberLoop::AllocSlot() {
  const uint32_t slots = slab_.size();
  const uint32_t slot = slab_.Alloc();
  if (slab_.size() != slots) wheel_.Resize(slab_.size());
  return slot;
}

void ProberLoop::StartOne(ProbeTarget t) {
  uint32_t slot = AllocSlot();
  Conn& c = slab_.at(slot);
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
  BeginRecord(t, options_->sni, &c.record);  // t's name is freed with t; retries make anew
  c.session.emplace(&c.record, &options_->session);
  ++in_flight_;
  caps_.Opened(t.address);
  counters_.in_flight.store(in_flight_, std::memory_order_release);
  counters_.started.fetch_add(1, std::memory_order_relaxed);

  c.fd = OpenProbeSocket(options_->source_address);
  if (c.fd < 0) return RetryLater(c, MonotonicMs());
  // Every time and deadline of this attempt counts from here, the connect() itself.
  c.record.start_us = RealtimeUs();
  c.start_mono_us = MonotonicUs();
  const uint64_t now_ms = c.start_mono_us / 1000;
  c.target_deadline_ms = now_ms + options_->target_timeout_ms;
  int err = 0;
  switch (StartConnect(c.fd, t.address, t.port, &err)) {
    case ConnectStart::kPending:
      retries_.NoteConnectStarted();
      c.SetEvents(epoll_fd_, EPOLLOUT);
      c.read_deadline_ms = now_ms + options_->connect_timeout_ms;
      wheel_.Schedule(slot, std::min(c.read_deadline_ms, c.target_deadline_ms));
      return;
    case ConnectStart::kRefused:
      control_.NoteConnect(true, c.start_mono_us);
      FinishWithOutcome(c, ProbeOutcome::kConnectRefused);
      return;
    case ConnectStart::kLocalFailure:
      RetryLater(c, now_ms);
      return;
    case ConnectStart::kFailed:  // the target cannot be reached from here
      FinishWithOutcome(c, ConnectFailureOutcome(err));
      return;
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
  Conn* c = slab_.Lookup(data);
  if (c == nullptr) return;
  if (c->phase == Conn::Phase::kConnecting) {
    OnConnected(*c);
    return;
  }
  if (events & EPOLLOUT) {
    c->DrainPending(epoll_fd_);
    if (c->phase == Conn::Phase::kFree) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) OnReadable(*c);
}

void ProberLoop::FinishWithOutcome(Conn& c, ProbeOutcome outcome) {
  c.record.outcome = outcome;
  Finish(c);
}

bool ProberLoop::RetryTransient(Conn& c) {
  const uint8_t attempt = c.record.attempts - 1;  // attempts before this one
  if (attempt >= options_->retries || !IsTransient(c.record) || stop_.load() ||
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
  retries_.AddTransient(NextAttempt(c.record, options_->sni, static_cast<uint8_t>(attempt + 1)),
                        MonotonicMs() + options_->retry_delay_ms);
  counters_.retried.fetch_add(1, std::memory_order_relaxed);
  PublishWaiting();
  wheel_.Cancel(c.slot);
  c.CloseSocket();
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
  c.record.duration_us = static_cast<uint32_t>(MonotonicUs() - c.start_mono_us);
  c.CloseSocket();  // also removes it from the epoll set
  sink_->Add(c.record);
  ++records_since_flush_;
  const size_t o = static_cast<uint8_t>(c.record.outcome);
  counters_.outcomes[o < results::kProbeOutcomeSlots ? o : 0].fetch_add(1,
                                                                      std::memory_order_relaxed);
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
  slab_.Free(c.slot);
  --in_flight_;
  counters_.in_flight.store(in_flight_, std::memory_order_release);
  retries_.Release();  // a descriptor and a port are free again (RetryLater holds again)
}

void ProberLoop::Discard(Conn& c) {
  wheel_.Cancel(c.slot);
  c.CloseSocket();
  counters_.abandoned.fetch_add(1, std::memory_order_relaxed);
  Release(c);
}

void ProberLoop::AbortAll() {
  for (uint32_t slot = 0; slot < slab_.size(); ++slot) {
    Conn& c = slab_.at(slot);
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
  QueuedTarget q;
  while (queue_.TryPop(&q)) {
    TargetName::Adopt(q.name);  // the temporary frees the name
    counters_.abandoned.fetch_add(1, std::memory_order_relaxed);
  }
  counters_.abandoned.fetch_add(retries_.DropAll() + caps_.DropAll(), std::memory_order_relaxed);
  counters_.retrying.store(0, std::memory_order_release);
  counters_.waiting.store(0, std::memory_order_release);
}

}  // namespace mailsweep::engine
