// The SYN probe on the wire: a 66-byte Ethernet + IPv4 + TCP frame with the option set that draws
// the most answers (MSS 1460, NOP, window scale 8, NOP, NOP, SACK-permitted: 12 option bytes, as
// ZMap and Windows send). A SynTemplate holds the constant bytes and the partial checksums of the
// constant fields, built once per sender thread; Write() copies it and patches only the per-target
// fields (addresses, ports, sequence number, IP ID) and both checksums, incrementally, so a probe
// costs a 66-byte copy and a handful of additions.
//
// Layout:  | Ethernet 14 | IPv4 20 (no options) | TCP 20 | TCP options 12 |   = 66 bytes
//
// Example:
//   SynTemplate tpl(src_mac, gateway_mac);
//   uint8_t frame[kSynFrameSize];
//   tpl.Write({.source = src, .destination = dst, .source_port = sp, .port = 110,
//              .seq = cookie.seq, .ip_id = 1}, frame);
//
// Immutable after construction; Write() is const and thread-safe.
#ifndef MAILSWEEP_ENGINE_SWEEP_SYN_PACKET_H_
#define MAILSWEEP_ENGINE_SWEEP_SYN_PACKET_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "targets/interval_set.h"

namespace mailsweep::engine {

inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kIpv4HeaderSize = 20;
inline constexpr size_t kTcpHeaderSize = 20;
inline constexpr size_t kSynOptionsSize = 12;
inline constexpr size_t kSynFrameSize =
    kEthernetHeaderSize + kIpv4HeaderSize + kTcpHeaderSize + kSynOptionsSize;
static_assert(kSynFrameSize == 66, "the SYN frame ZMap and masscan send is 66 bytes");

using MacAddress = std::array<uint8_t, 6>;

// The per-target fields; addresses and ports in host order.
struct SynFields {
  uint32_t source = 0;
  uint32_t destination = 0;
  uint16_t source_port = 0;
  uint16_t port = 0;
  uint32_t seq = 0;
  uint16_t ip_id = 0;
};

// The destination address (host order) of a frame SynTemplate::Write() made: the IPv4 header's
// destination field, bytes 16-19 of it.
inline uint32_t SynFrameDestination(const uint8_t* frame) {
  const uint8_t* d = frame + kEthernetHeaderSize + 16;
  return uint32_t{d[0]} << 24 | uint32_t{d[1]} << 16 | uint32_t{d[2]} << 8 | d[3];
}

// Removes the frames (kSynFrameSize bytes each, `n` of them) whose destination is in `excluded`
// (null: none is); returns how many stay, in order. The senders' last look before sending.
size_t DropFramesTo(const targets::IntervalSet* excluded, uint8_t* frames, size_t n);

class SynTemplate {
 public:
  SynTemplate(const MacAddress& source_mac, const MacAddress& gateway_mac, uint8_t ttl = 64,
              uint16_t window = 65535);

  // Writes the finished frame (kSynFrameSize bytes) to `frame`.
  void Write(const SynFields& fields, uint8_t* frame) const;

  const std::array<uint8_t, kSynFrameSize>& bytes() const { return bytes_; }

 private:
  std::array<uint8_t, kSynFrameSize> bytes_{};
  uint32_t ip_constant_sum_ = 0;   // one's-complement sum of the constant IPv4 header words
  uint32_t tcp_constant_sum_ = 0;  // ... of the constant TCP words plus pseudo-header proto/len
};

// RFC 1071 Internet checksum of `len` bytes (big-endian 16-bit words, odd byte padded).
uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t initial_sum = 0);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_SYN_PACKET_H_
