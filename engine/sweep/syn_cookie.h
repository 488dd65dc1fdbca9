// Stateless probe validation (as in ZMap's validate.c and masscan's SYN cookies): a keyed SipHash
// of (source, destination, destination port) gives each probe its TCP sequence number and source
// port, so a reply is recognised as an answer to one of our probes without keeping any per-target
// state. A SYN-ACK is ours only if it comes back to that source port with ack == seq + 1; a RST if
// its ack is seq or seq + 1; an ICMP error if the TCP header it quotes carries our port and seq.
// ParseReply() classifies a captured Ethernet frame (sans-I/O: bytes in, verdict out).
//
// Example:
//   SynCookie cookie(SipKey::FromSeed(seed, kSynCookieDomain), 61000, 4536);
//   SynCookie::Probe p = cookie.For(src, dst, 110);   // p.seq, p.source_port
//   Reply r;
//   if (ParseReply(frame, len, cookie, &r) == ReplyVerdict::kValid) ...
//
// Immutable; thread-safe.
#ifndef MAILSWEEP_ENGINE_SWEEP_SYN_COOKIE_H_
#define MAILSWEEP_ENGINE_SWEEP_SYN_COOKIE_H_

#include <cstddef>
#include <cstdint>

#include "base/siphash.h"
#include "results/format/records.h"

namespace mailsweep::engine {

// SipKey domain of the SYN cookie key (the permutation uses others).
inline constexpr uint64_t kSynCookieDomain = 0x5359'4e43'4f4f'4b49;  // "SYNCOOKI"

class SynCookie {
 public:
  struct Probe {
    uint32_t seq = 0;
    uint16_t source_port = 0;
  };

  // Source ports are drawn from [first_source_port, first_source_port + source_port_count).
  SynCookie(SipKey key, uint16_t first_source_port, uint32_t source_port_count);

  // Addresses and ports in host order.
  Probe For(uint32_t source, uint32_t destination, uint16_t port) const {
    const uint64_t h = SipHash24Words(key_, (uint64_t{source} << 32) | destination, port);
    const uint32_t spread = static_cast<uint32_t>(
        (static_cast<uint64_t>(static_cast<uint32_t>(h >> 32)) * source_port_count_) >> 32);
    return {static_cast<uint32_t>(h), static_cast<uint16_t>(first_source_port_ + spread)};
  }

  uint16_t first_source_port() const { return first_source_port_; }
  uint32_t source_port_count() const { return source_port_count_; }

 private:
  SipKey key_;
  uint16_t first_source_port_;
  uint32_t source_port_count_;
};

// A validated answer to one of our probes.
struct Reply {
  uint32_t address = 0;  // the target that answered (host order)
  uint16_t port = 0;     // the target port
  uint32_t local = 0;    // our source address it answered to
  results::SweepStatus status = results::SweepStatus::kOpen;
  uint8_t ttl = 0;
  uint16_t window = 0;
};

enum class ReplyVerdict {
  kValid,      // *reply filled
  kIgnored,    // not a reply kind we classify (other protocols, our own SYNs, ...)
  kMalformed,  // truncated or inconsistent headers
  kInvalid,    // looks like a reply but fails validation (wrong ack, port, or quoted probe)
};

// Classifies one Ethernet frame. `len` is the captured length.
ReplyVerdict ParseReply(const uint8_t* frame, size_t len, const SynCookie& cookie, Reply* reply);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_SYN_COOKIE_H_
