#include "engine/prober/probe_attempt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mailsweep::engine {

void BeginRecord(const ProbeTarget& t, const std::string& sni, results::ProbeRecord* r) {
  *r = results::ProbeRecord{};
  r->address = t.address;
  r->port = t.port;
  r->protocol = results::ProtocolForPort(t.port);
  r->tls_mode = results::TlsModeForPort(t.port);
  r->attempts = static_cast<uint8_t>(t.attempt + 1);
  if (!t.name.empty()) {
    r->domain = t.name.get();
  } else {
    r->domain = sni;
  }
}

ProbeTarget NextAttempt(const results::ProbeRecord& r, const std::string& sni, uint8_t attempt) {
  ProbeTarget t{r.address, r.port, TargetName(), attempt};
  if (r.domain != sni) t.name = TargetName(r.domain);
  return t;
}

int OpenProbeSocket(uint32_t source_address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  if (source_address != 0) {
    // The local port is chosen at connect(), per destination, not here from the one ephemeral
    // range shared by every destination (which 28,000 connections would exhaust).
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(source_address);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
      close(fd);
      return -1;
    }
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

ConnectStart StartConnect(int fd, uint32_t address, uint16_t port, int* err) {
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  dst.sin_addr.s_addr = htonl(address);
  const int rc = connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
  *err = rc == 0 ? 0 : errno;
  if (rc == 0 || *err == EINPROGRESS) return ConnectStart::kPending;
  if (*err == ECONNREFUSED) return ConnectStart::kRefused;
  if (*err == EADDRNOTAVAIL || *err == EAGAIN || *err == ENOBUFS || *err == ENOMEM) {
    return ConnectStart::kLocalFailure;
  }
  return ConnectStart::kFailed;
}

results::ProbeOutcome ConnectFailureOutcome(int err) {
  switch (err) {
    case ECONNREFUSED:
      return results::ProbeOutcome::kConnectRefused;
    case ECONNRESET:
      // The handshake completed and the server reset the connection before we looked (a full
      // accept queue, a busy server): a reset before the greeting, not a timeout.
      return results::ProbeOutcome::kConnectionReset;
    case ENETUNREACH:
    case EHOSTUNREACH:
      return results::ProbeOutcome::kUnreachable;
    default:
      return results::ProbeOutcome::kConnectTimeout;
  }
}

}  // namespace mailsweep::engine
