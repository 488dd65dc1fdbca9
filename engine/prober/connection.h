// One prober connection: its socket, where it is in its life, its deadlines, the record it
// fills, its protocol session and TLS client, and the bytes the socket did not take yet. A
// ProberLoop keeps them in a ConnectionSlab (connection_slab.h) and drives them; the methods
// here are the socket-level steps that need nothing of the loop but its epoll fd.
//
// Thread rule: a Connection belongs to its loop's thread. It is never moved (its session points
// into its record), so it lives in the slab's fixed chunks.
#ifndef MAILSWEEP_ENGINE_PROBER_CONNECTION_H_
#define MAILSWEEP_ENGINE_PROBER_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "probes/session.h"
#include "probes/tls_client.h"
#include "results/format/records.h"

namespace mailsweep::engine {

// `generation` changes every time the slot is reused, so that a stale epoll event or timer for
// an earlier occupant is recognised and dropped.
struct Connection {
  enum class Phase : uint8_t { kFree, kConnecting, kActive };

  // The epoll_event.data.u64 of this occupant: (generation, slot).
  uint64_t tag() const { return (uint64_t{generation} << 32) | slot; }
  // Sets the epoll interest to `mask` (adds the fd on the first call after a start).
  void SetEvents(int epoll_fd, uint32_t mask);
  // Sends what the socket takes now and keeps the rest for DrainPending() (then asks for
  // EPOLLOUT). Errors other than EAGAIN are left for the read side to see as a reset.
  void SendRaw(int epoll_fd, const uint8_t* data, size_t n);
  // Plaintext of the conversation: through TLS once its handshake is done, else as it is.
  void SendPlain(int epoll_fd, std::string_view bytes);
  // Sends the ciphertext the TLS client has ready.
  void FlushTls(int epoll_fd);
  // The socket is writable: sends what waits, then asks for reads only.
  void DrainPending(int epoll_fd);
  // poll(0): whether the socket has news a deadline must look at first (a finished connect,
  // bytes, EOF or an error).
  bool SocketReady() const;
  // Closes the socket (which also removes it from the epoll set), if open.
  void CloseSocket();

  int fd = -1;
  uint32_t slot = 0;  // fixed for the Connection's lifetime
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

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_CONNECTION_H_
