#include "engine/sweep/syn_cookie.h"

namespace mailsweep::engine {
namespace {

inline uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

}  // namespace

SynCookie::SynCookie(SipKey key, uint16_t first_source_port, uint32_t source_port_count)
    : key_(key),
      first_source_port_(first_source_port),
      source_port_count_(source_port_count == 0 ? 1 : source_port_count) {}

ReplyVerdict ParseReply(const uint8_t* frame, size_t len, const SynCookie& cookie, Reply* reply) {
  if (len < 14) return ReplyVerdict::kMalformed;
  size_t off = 12;
  uint16_t ethertype = Get16(frame + off);
  off += 2;
  if (ethertype == 0x8100) {  // one VLAN tag
    if (len < off + 4) return ReplyVerdict::kMalformed;
    ethertype = Get16(frame + off + 2);
    off += 4;
  }
  if (ethertype != 0x0800) return ReplyVerdict::kIgnored;
  const uint8_t* ip = frame + off;
  const size_t ip_avail = len - off;
  if (ip_avail < 20 || (ip[0] >> 4) != 4) return ReplyVerdict::kMalformed;
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
  if (ihl < 20 || ip_avail < ihl) return ReplyVerdict::kMalformed;
  if ((Get16(ip + 6) & 0x1fff) != 0) return ReplyVerdict::kIgnored;  // a later fragment
  const uint8_t proto = ip[9];
  const uint32_t src = Get32(ip + 12);
  const uint32_t dst = Get32(ip + 16);
  const uint8_t* l4 = ip + ihl;
  const size_t l4_avail = ip_avail - ihl;

  if (proto == 6) {
    if (l4_avail < 20) return ReplyVerdict::kMalformed;
    const uint8_t flags = l4[13];
    const bool synack = (flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) == (kTcpSyn | kTcpAck);
    const bool rst = (flags & kTcpRst) != 0;
    if (!synack && !rst) return ReplyVerdict::kIgnored;
    const uint16_t sport = Get16(l4);
    const uint16_t dport = Get16(l4 + 2);
    const uint32_t ack = Get32(l4 + 8);
    const SynCookie::Probe p = cookie.For(dst, src, sport);
    if (dport != p.source_port) return ReplyVerdict::kInvalid;
    if (synack ? ack != p.seq + 1 : (ack != p.seq && ack != p.seq + 1)) {
      return ReplyVerdict::kInvalid;
    }
    *reply = {.address = src,
              .port = sport,
              .local = dst,
              .status = synack ? results::SweepStatus::kOpen : results::SweepStatus::kClosed,
              .ttl = ip[8],
              .window = Get16(l4 + 14)};
    return ReplyVerdict::kValid;
  }

  if (proto == 1) {
    // ICMP destination unreachable quoting our SYN: type 3, then the original IPv4 header and at
    // least 8 bytes of TCP (ports and seq).
    if (l4_avail < 8) return ReplyVerdict::kMalformed;
    if (l4[0] != 3) return ReplyVerdict::kIgnored;
    const uint8_t* inner = l4 + 8;
    const size_t inner_avail = l4_avail - 8;
    if (inner_avail < 20 || (inner[0] >> 4) != 4) return ReplyVerdict::kMalformed;
    const size_t inner_ihl = static_cast<size_t>(inner[0] & 0x0f) * 4;
    if (inner_ihl < 20 || inner_avail < inner_ihl + 8) return ReplyVerdict::kMalformed;
    if (inner[9] != 6) return ReplyVerdict::kIgnored;
    const uint32_t inner_src = Get32(inner + 12);
    const uint32_t inner_dst = Get32(inner + 16);
    const uint8_t* tcp = inner + inner_ihl;
    const uint16_t sport = Get16(tcp);
    const uint16_t dport = Get16(tcp + 2);
    const uint32_t seq = Get32(tcp + 4);
    if (inner_src != dst) return ReplyVerdict::kInvalid;
    const SynCookie::Probe p = cookie.For(inner_src, inner_dst, dport);
    if (sport != p.source_port || seq != p.seq) return ReplyVerdict::kInvalid;
    *reply = {.address = inner_dst,
              .port = dport,
              .local = inner_src,
              .status = results::SweepStatus::kUnreachable,
              .ttl = ip[8],
              .window = 0};
    return ReplyVerdict::kValid;
  }
  return ReplyVerdict::kIgnored;
}

}  // namespace mailsweep::engine
