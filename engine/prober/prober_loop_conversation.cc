// ProberLoop, part two: a connection's conversation, from its connect to its end. The loop
// itself (queue, passes, starts, retries, records) is in prober_loop.cc; this file drives one
// connection: the connect's result, the session's actions, TLS bytes and deadlines.
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <span>

#include "base/clock.h"
#include "engine/prober/probe_attempt.h"
#include "engine/prober/prober_loop.h"

namespace mailsweep::engine {

using results::ProbeOutcome;

void ProberLoop::NoteFirstByte(Conn& c) {
  c.heard = true;
  if (c.slow_noted) return;
  c.slow_noted = control_.NoteFirstByte(MonotonicUs() - c.connected_mono_us, c.start_mono_us,
                                        in_flight_);
}

void ProberLoop::OnConnected(Conn& c) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    control_.NoteConnect(true, c.start_mono_us);
    FinishWithOutcome(c, ConnectFailureOutcome(err));
    return;
  }
  c.connected_mono_us = MonotonicUs();
  c.record.connect_us = static_cast<uint32_t>(c.connected_mono_us - c.start_mono_us);
  control_.NoteConnect(c.record.connect_us >= StartControl::kSlowConnectUs, c.start_mono_us);
  if (control_.adaptive()) {
    c.greeting_due_ms = c.connected_mono_us / 1000 + StartControl::kSlowGreetingMs;
  }
  if (options_->on_connected_for_test) options_->on_connected_for_test();
  c.phase = Conn::Phase::kActive;
  c.SetEvents(epoll_fd_, EPOLLIN | EPOLLRDHUP);
  ArmRead(c, options_->read_timeout_ms);
  Apply(c, c.session->Start());
}

void ProberLoop::ArmRead(Conn& c, uint32_t ms) {
  if (c.phase == Conn::Phase::kFree) return;
  c.read_deadline_ms = MonotonicMs() + ms;
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
        c.SendPlain(epoll_fd_, a.bytes);
        if (c.phase == Conn::Phase::kFree) return;
        ArmRead(c, options_->read_timeout_ms);
        a = c.session->OnBytes(std::span<const uint8_t>());  // a reply may already be buffered
        if (a.step == probes::Step::kWait && a.wait_ms == 0) return;
        continue;
      case probes::Step::kStartTls:
        BeginTls(c);
        return;
      case probes::Step::kDone:
        if (!a.bytes.empty()) c.SendPlain(epoll_fd_, a.bytes);
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
  c.FlushTls(epoll_fd_);
  if (st == probes::TlsClient::Status::kFailed && c.phase != Conn::Phase::kFree) {
    c.tls->FillFacts(&c.record.tls, &cert_cache_);
    Apply(c, c.session->OnTlsFailed());
  }
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
    c.FlushTls(epoll_fd_);
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
  c.FlushTls(epoll_fd_);  // post-handshake messages (TLS 1.3 key updates) and alerts
}

void ProberLoop::OnDeadline(uint32_t slot) {
  AssertInLoopThread();
  Conn& c = slab_.at(slot);
  if (c.phase == Conn::Phase::kFree) return;
  // The deadline may have passed while this loop was busy elsewhere: what the socket already
  // holds (a finished handshake, bytes, EOF, an error) is handled as the event it is, and only
  // a socket with nothing waiting times out.
  if (c.SocketReady()) {
    if (c.phase == Conn::Phase::kConnecting) {
      OnConnected(c);
    } else {
      OnReadable(c);
    }
    if (c.phase == Conn::Phase::kFree) return;
    // Progress re-arms the timer (every byte does, as an event would have); without progress,
    // or past the target's own firm deadline, the deadline is judged below.
    if (MonotonicMs() < c.target_deadline_ms && wheel_.armed(slot)) return;
  }
  uint64_t now = MonotonicMs();
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

}  // namespace mailsweep::engine
