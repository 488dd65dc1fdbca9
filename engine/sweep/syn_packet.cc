#include "engine/sweep/syn_packet.h"

#include <cstring>

namespace mailsweep::engine {

size_t DropFramesTo(const targets::IntervalSet* excluded, uint8_t* frames, size_t n) {
  if (excluded == nullptr) return n;
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* f = frames + i * kSynFrameSize;
    if (excluded->Contains(SynFrameDestination(f))) continue;
    if (kept != i) std::memmove(frames + kept * kSynFrameSize, f, kSynFrameSize);
    ++kept;
  }
  return kept;
}
namespace {

// Offsets into the frame.
constexpr size_t kIp = kEthernetHeaderSize;
constexpr size_t kTcp = kIp + kIpv4HeaderSize;
constexpr uint16_t kTcpLength = kTcpHeaderSize + kSynOptionsSize;  // pseudo-header length

inline void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

inline uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

}  // namespace

uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t initial_sum) {
  uint64_t sum = initial_sum;
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (i < len) sum += uint32_t{data[i]} << 8;
  return Fold(sum);
}

SynTemplate::SynTemplate(const MacAddress& source_mac, const MacAddress& gateway_mac, uint8_t ttl,
                         uint16_t window) {
  uint8_t* f = bytes_.data();
  memcpy(f, gateway_mac.data(), 6);
  memcpy(f + 6, source_mac.data(), 6);
  Put16(f + 12, 0x0800);  // IPv4

  uint8_t* ip = f + kIp;
  ip[0] = 0x45;  // version 4, header 5 words
  ip[1] = 0;     // DSCP/ECN
  Put16(ip + 2, kIpv4HeaderSize + kTcpLength);
  // ip[4..5] ID: per target
  Put16(ip + 6, 0);  // no flags, offset 0
  ip[8] = ttl;
  ip[9] = 6;  // TCP
  // ip[10..11] checksum, ip[12..19] addresses: per target

  uint8_t* tcp = f + kTcp;
  // tcp[0..3] ports, tcp[4..7] seq: per target
  Put32(tcp + 8, 0);                // ack
  tcp[12] = (kTcpLength / 4) << 4;  // data offset 8 words
  tcp[13] = 0x02;                   // SYN
  Put16(tcp + 14, window);
  // tcp[16..17] checksum, tcp[18..19] urgent pointer 0
  static constexpr uint8_t kOptions[kSynOptionsSize] = {
      0x02, 0x04, 0x05, 0xb4,  // MSS 1460
      0x01,                    // NOP
      0x03, 0x03, 0x08,        // window scale 8
      0x01, 0x01,              // NOP NOP
      0x04, 0x02,              // SACK permitted
  };
  memcpy(tcp + kTcpHeaderSize, kOptions, sizeof(kOptions));

  // Sums of the constant words: the variable ones are zero in bytes_, so summing everything
  // now gives exactly the constant part.
  uint64_t ip_sum = 0;
  for (size_t i = 0; i < kIpv4HeaderSize; i += 2) ip_sum += (uint32_t{ip[i]} << 8) | ip[i + 1];
  uint64_t tcp_sum = 6 + kTcpLength;  // pseudo-header: protocol and TCP length
  for (size_t i = 0; i < kTcpLength; i += 2) tcp_sum += (uint32_t{tcp[i]} << 8) | tcp[i + 1];
  while (ip_sum >> 16) ip_sum = (ip_sum & 0xffff) + (ip_sum >> 16);
  while (tcp_sum >> 16) tcp_sum = (tcp_sum & 0xffff) + (tcp_sum >> 16);
  ip_constant_sum_ = static_cast<uint32_t>(ip_sum);
  tcp_constant_sum_ = static_cast<uint32_t>(tcp_sum);
}

void SynTemplate::Write(const SynFields& fields, uint8_t* frame) const {
  memcpy(frame, bytes_.data(), kSynFrameSize);
  uint8_t* ip = frame + kIp;
  uint8_t* tcp = frame + kTcp;
  Put16(ip + 4, fields.ip_id);
  Put32(ip + 12, fields.source);
  Put32(ip + 16, fields.destination);
  Put16(tcp + 0, fields.source_port);
  Put16(tcp + 2, fields.port);
  Put32(tcp + 4, fields.seq);

  const uint64_t addresses = uint64_t{fields.source >> 16} + (fields.source & 0xffff) +
                             (fields.destination >> 16) + (fields.destination & 0xffff);
  Put16(ip + 10, Fold(ip_constant_sum_ + addresses + fields.ip_id));
  Put16(tcp + 16, Fold(tcp_constant_sum_ + addresses + fields.source_port + fields.port +
                       (fields.seq >> 16) + (fields.seq & 0xffff)));
}

}  // namespace mailsweep::engine
