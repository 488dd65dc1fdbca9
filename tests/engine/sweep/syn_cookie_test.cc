#include "engine/sweep/syn_cookie.h"

#include <catch2/catch.hpp>
#include <vector>

namespace mailsweep::engine {
namespace {

constexpr uint32_t kUs = 0xCB007101;    // 203.0.113.1
constexpr uint32_t kThem = 0xC6120A0B;  // 198.18.10.11

void Put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}
void Put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  Put16(v, at, static_cast<uint16_t>(x >> 16));
  Put16(v, at + 2, static_cast<uint16_t>(x));
}

// A reply frame from `src`:`sport` to `dst`:`dport` with TCP flags and ack.
std::vector<uint8_t> TcpReply(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                              uint8_t flags, uint32_t ack, uint8_t ttl = 57) {
  std::vector<uint8_t> f(14 + 20 + 20, 0);
  Put16(f, 12, 0x0800);
  f[14] = 0x45;
  Put16(f, 16, 40);
  f[22] = ttl;
  f[23] = 6;
  Put32(f, 26, src);
  Put32(f, 30, dst);
  Put16(f, 34, sport);
  Put16(f, 36, dport);
  Put32(f, 38, 0x11111111);
  Put32(f, 42, ack);
  f[46] = 0x50;
  f[47] = flags;
  Put16(f, 48, 29200);
  return f;
}

std::vector<uint8_t> IcmpUnreachable(uint32_t router, uint32_t probe_src, uint32_t probe_dst,
                                     uint16_t sport, uint16_t dport, uint32_t seq) {
  std::vector<uint8_t> f(14 + 20 + 8 + 20 + 8, 0);
  Put16(f, 12, 0x0800);
  f[14] = 0x45;
  f[22] = 250;
  f[23] = 1;
  Put32(f, 26, router);
  Put32(f, 30, probe_src);
  f[34] = 3;  // destination unreachable
  f[35] = 1;  // host unreachable
  const size_t inner = 42;
  f[inner] = 0x45;
  f[inner + 9] = 6;
  Put32(f, inner + 12, probe_src);
  Put32(f, inner + 16, probe_dst);
  Put16(f, inner + 20, sport);
  Put16(f, inner + 22, dport);
  Put32(f, inner + 24, seq);
  return f;
}

}  // namespace

TEST_CASE("SynCookie gives a deterministic seq and a source port in range", "[syn_cookie]") {
  SynCookie a(SipKey::FromSeed(1, kSynCookieDomain), 61000, 4536);
  SynCookie b(SipKey::FromSeed(1, kSynCookieDomain), 61000, 4536);
  SynCookie other(SipKey::FromSeed(2, kSynCookieDomain), 61000, 4536);
  int same_as_other = 0;
  for (uint32_t i = 0; i < 10000; ++i) {
    const auto p = a.For(kUs, kThem + i, static_cast<uint16_t>(100 + i % 7));
    REQUIRE(p.seq == b.For(kUs, kThem + i, static_cast<uint16_t>(100 + i % 7)).seq);
    REQUIRE(p.source_port >= 61000);
    REQUIRE(p.source_port <= 65535);
    same_as_other += p.seq == other.For(kUs, kThem + i, static_cast<uint16_t>(100 + i % 7)).seq;
  }
  CHECK(same_as_other < 3);
}

TEST_CASE("ParseReply accepts a SYN-ACK with ack = seq + 1 only", "[syn_cookie]") {
  SynCookie cookie(SipKey::FromSeed(9, kSynCookieDomain), 61000, 4536);
  const auto p = cookie.For(kUs, kThem, 143);
  Reply r;
  auto ok = TcpReply(kThem, kUs, 143, p.source_port, 0x12, p.seq + 1);
  REQUIRE(ParseReply(ok.data(), ok.size(), cookie, &r) == ReplyVerdict::kValid);
  CHECK(r.address == kThem);
  CHECK(r.port == 143);
  CHECK(r.local == kUs);
  CHECK(r.status == results::SweepStatus::kOpen);
  CHECK(r.ttl == 57);
  CHECK(r.window == 29200);

  auto wrong_ack = TcpReply(kThem, kUs, 143, p.source_port, 0x12, p.seq);
  CHECK(ParseReply(wrong_ack.data(), wrong_ack.size(), cookie, &r) == ReplyVerdict::kInvalid);
  auto wrong_port =
      TcpReply(kThem, kUs, 143, static_cast<uint16_t>(p.source_port ^ 1), 0x12, p.seq + 1);
  CHECK(ParseReply(wrong_port.data(), wrong_port.size(), cookie, &r) == ReplyVerdict::kInvalid);
  auto other_target = TcpReply(kThem + 1, kUs, 143, p.source_port, 0x12, p.seq + 1);
  CHECK(ParseReply(other_target.data(), other_target.size(), cookie, &r) == ReplyVerdict::kInvalid);
  auto other_service = TcpReply(kThem, kUs, 110, p.source_port, 0x12, p.seq + 1);
  CHECK(ParseReply(other_service.data(), other_service.size(), cookie, &r) ==
        ReplyVerdict::kInvalid);
  auto to_someone_else = TcpReply(kThem, kUs + 1, 143, p.source_port, 0x12, p.seq + 1);
  CHECK(ParseReply(to_someone_else.data(), to_someone_else.size(), cookie, &r) ==
        ReplyVerdict::kInvalid);
}

TEST_CASE("ParseReply classifies RSTs with ack seq or seq + 1 as closed", "[syn_cookie]") {
  SynCookie cookie(SipKey::FromSeed(9, kSynCookieDomain), 61000, 4536);
  const auto p = cookie.For(kUs, kThem, 110);
  Reply r;
  for (uint32_t ack : {p.seq, p.seq + 1}) {
    auto f = TcpReply(kThem, kUs, 110, p.source_port, 0x14, ack);  // RST+ACK
    REQUIRE(ParseReply(f.data(), f.size(), cookie, &r) == ReplyVerdict::kValid);
    CHECK(r.status == results::SweepStatus::kClosed);
  }
  auto bad = TcpReply(kThem, kUs, 110, p.source_port, 0x14, p.seq + 2);
  CHECK(ParseReply(bad.data(), bad.size(), cookie, &r) == ReplyVerdict::kInvalid);
}

TEST_CASE("ParseReply ignores what is not a reply", "[syn_cookie]") {
  SynCookie cookie(SipKey::FromSeed(9, kSynCookieDomain), 61000, 4536);
  const auto p = cookie.For(kUs, kThem, 110);
  Reply r;
  auto syn = TcpReply(kThem, kUs, 110, p.source_port, 0x02, 0);  // a bare SYN
  CHECK(ParseReply(syn.data(), syn.size(), cookie, &r) == ReplyVerdict::kIgnored);
  auto ack = TcpReply(kThem, kUs, 110, p.source_port, 0x10, p.seq + 1);  // bare ACK
  CHECK(ParseReply(ack.data(), ack.size(), cookie, &r) == ReplyVerdict::kIgnored);
  auto arp = TcpReply(kThem, kUs, 110, p.source_port, 0x12, p.seq + 1);
  arp[12] = 0x08;
  arp[13] = 0x06;
  CHECK(ParseReply(arp.data(), arp.size(), cookie, &r) == ReplyVerdict::kIgnored);
  auto ok = TcpReply(kThem, kUs, 110, p.source_port, 0x12, p.seq + 1);
  for (size_t len = 0; len < ok.size(); ++len) {
    REQUIRE(ParseReply(ok.data(), len, cookie, &r) != ReplyVerdict::kValid);
  }
}

TEST_CASE("ParseReply validates ICMP unreachables by the quoted probe", "[syn_cookie]") {
  SynCookie cookie(SipKey::FromSeed(9, kSynCookieDomain), 61000, 4536);
  const auto p = cookie.For(kUs, kThem, 993);
  Reply r;
  auto good = IcmpUnreachable(0xC6120001, kUs, kThem, p.source_port, 993, p.seq);
  REQUIRE(ParseReply(good.data(), good.size(), cookie, &r) == ReplyVerdict::kValid);
  CHECK(r.status == results::SweepStatus::kUnreachable);
  CHECK(r.address == kThem);
  CHECK(r.port == 993);
  CHECK(r.window == 0);
  auto bad_seq = IcmpUnreachable(0xC6120001, kUs, kThem, p.source_port, 993, p.seq + 1);
  CHECK(ParseReply(bad_seq.data(), bad_seq.size(), cookie, &r) == ReplyVerdict::kInvalid);
  auto bad_port = IcmpUnreachable(0xC6120001, kUs, kThem, 1234, 993, p.seq);
  CHECK(ParseReply(bad_port.data(), bad_port.size(), cookie, &r) == ReplyVerdict::kInvalid);
}

}  // namespace mailsweep::engine
