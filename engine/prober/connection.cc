#include "engine/prober/connection.h"

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mailsweep::engine {

void Connection::SetEvents(int epoll_fd, uint32_t mask) {
  if (events == mask) return;
  epoll_event ev{};
  ev.events = mask;
  ev.data.u64 = tag();
  epoll_ctl(epoll_fd, events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  events = mask;
}

void Connection::SendRaw(int epoll_fd, const uint8_t* data, size_t n) {
  if (fd < 0 || n == 0) return;
  if (!pending_out.empty()) {
    pending_out.append(reinterpret_cast<const char*>(data), n);
    return;
  }
  ssize_t sent = send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return;  // the read side sees the reset
    sent = 0;
  }
  if (static_cast<size_t>(sent) < n) {
    pending_out.assign(reinterpret_cast<const char*>(data) + sent, n - sent);
    SetEvents(epoll_fd, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
  }
}

void Connection::SendPlain(int epoll_fd, std::string_view bytes) {
  if (tls && handshake_done) {
    tls->WritePlain(bytes);
    FlushTls(epoll_fd);
    return;
  }
  SendRaw(epoll_fd, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

void Connection::FlushTls(int epoll_fd) {
  if (!tls) return;
  auto out = tls->pending_output();
  if (out.empty()) return;
  size_t n = out.size();
  SendRaw(epoll_fd, out.data(), n);
  if (tls) tls->ConsumeOutput(n);
}

void Connection::DrainPending(int epoll_fd) {
  while (!pending_out.empty()) {
    ssize_t sent = send(fd, pending_out.data(), pending_out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent <= 0) {
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      pending_out.clear();
      break;
    }
    pending_out.erase(0, static_cast<size_t>(sent));
  }
  std::string().swap(pending_out);
  SetEvents(epoll_fd, EPOLLIN | EPOLLRDHUP);
}

bool Connection::SocketReady() const {
  if (fd < 0) return false;
  pollfd p{fd, static_cast<short>(phase == Phase::kConnecting ? POLLOUT : POLLIN | POLLRDHUP), 0};
  return poll(&p, 1, 0) > 0 && p.revents != 0;
}

void Connection::CloseSocket() {
  if (fd < 0) return;
  close(fd);
  fd = -1;
}

}  // namespace mailsweep::engine
