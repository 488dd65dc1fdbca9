#include "engine/sweep/syn_packet.h"

#include <catch2/catch.hpp>
#include <cstring>

namespace mailsweep::engine {
namespace {

// An independent checksum: sums 16-bit words the slow, obvious way.
uint16_t SlowChecksum(const std::vector<uint8_t>& bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint16_t word = static_cast<uint16_t>(bytes[i] << 8);
    if (i + 1 < bytes.size()) word = static_cast<uint16_t>(word | bytes[i + 1]);
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

uint16_t At16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

const MacAddress kSrcMac = {0x02, 0, 0, 0, 0, 1};
const MacAddress kGwMac = {0x02, 0, 0, 0, 0, 2};

}  // namespace

TEST_CASE("SynTemplate writes a 66-byte SYN with the Windows-like options", "[syn_packet]") {
  SynTemplate tpl(kSrcMac, kGwMac, 64, 65535);
  uint8_t f[kSynFrameSize];
  tpl.Write({.source = 0xCB007101,
             .destination = 0xC6120A0B,
             .source_port = 61234,
             .port = 143,
             .seq = 0xDEADBEEF,
             .ip_id = 0x1234},
            f);
  CHECK(memcmp(f, kGwMac.data(), 6) == 0);
  CHECK(memcmp(f + 6, kSrcMac.data(), 6) == 0);
  CHECK(At16(f + 12) == 0x0800);
  const uint8_t* ip = f + 14;
  CHECK(ip[0] == 0x45);
  CHECK(At16(ip + 2) == 52);
  CHECK(At16(ip + 4) == 0x1234);
  CHECK(ip[8] == 64);
  CHECK(ip[9] == 6);
  CHECK(ip[12] == 203);
  CHECK(ip[15] == 1);
  CHECK(ip[16] == 198);
  CHECK(ip[19] == 11);
  const uint8_t* tcp = ip + 20;
  CHECK(At16(tcp) == 61234);
  CHECK(At16(tcp + 2) == 143);
  CHECK(At16(tcp + 4) == 0xDEAD);
  CHECK(At16(tcp + 6) == 0xBEEF);
  CHECK(tcp[12] == 0x80);  // 8 words
  CHECK(tcp[13] == 0x02);  // SYN only
  CHECK(At16(tcp + 14) == 65535);
  const uint8_t options[] = {2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
  CHECK(memcmp(tcp + 20, options, sizeof(options)) == 0);
}

TEST_CASE("SynTemplate checksums match an independent computation", "[syn_packet]") {
  SynTemplate tpl(kSrcMac, kGwMac);
  uint8_t f[kSynFrameSize];
  // Many field combinations, including carries (all-ones fields) and zeros.
  const uint32_t addrs[] = {0, 0xffffffff, 0xC6120000, 0xC613FFFF, 0x01020304, 0xCB007101};
  const uint32_t seqs[] = {0, 0xffffffff, 0x80000000, 0x12345678};
  const uint16_t ports[] = {1, 110, 65535, 32768};
  for (uint32_t src : addrs) {
    for (uint32_t dst : addrs) {
      for (uint32_t seq : seqs) {
        for (uint16_t port : ports) {
          tpl.Write({.source = src,
                     .destination = dst,
                     .source_port = port,
                     .port = port,
                     .seq = seq,
                     .ip_id = static_cast<uint16_t>(seq)},
                    f);
          std::vector<uint8_t> ip(f + 14, f + 34);
          const uint16_t ip_sum = At16(f + 24);
          ip[10] = ip[11] = 0;
          REQUIRE(SlowChecksum(ip) == ip_sum);
          std::vector<uint8_t> pseudo;
          for (int i = 0; i < 8; ++i) pseudo.push_back(f[26 + i]);  // src + dst
          pseudo.push_back(0);
          pseudo.push_back(6);
          pseudo.push_back(0);
          pseudo.push_back(32);
          const uint16_t tcp_sum = At16(f + 34 + 16);
          for (int i = 0; i < 32; ++i) pseudo.push_back(f[34 + i]);
          pseudo[12 + 16] = pseudo[12 + 17] = 0;
          REQUIRE(SlowChecksum(pseudo) == tcp_sum);
        }
      }
    }
  }
}

TEST_CASE("InternetChecksum of a known IPv4 header", "[syn_packet]") {
  // The classic example header from RFC 1071 discussions (checksum field zeroed): 0xb861.
  const uint8_t header[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  CHECK(InternetChecksum(header, sizeof(header)) == 0xb861);
}

TEST_CASE("DropFramesTo removes the frames to excluded addresses and keeps the order") {
  SynTemplate tpl({1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1});
  std::vector<uint8_t> frames(5 * kSynFrameSize);
  for (uint32_t i = 0; i < 5; ++i) {
    tpl.Write({.source = 0x0a000001, .destination = 0xc6120000 + i, .port = 110},
              frames.data() + i * kSynFrameSize);
  }
  CHECK(DropFramesTo(nullptr, frames.data(), 5) == 5);
  const targets::IntervalSet excluded({{0xc6120001, 0xc6120001}, {0xc6120003, 0xc6120004}});
  REQUIRE(DropFramesTo(&excluded, frames.data(), 5) == 2);
  CHECK(SynFrameDestination(frames.data()) == 0xc6120000);
  CHECK(SynFrameDestination(frames.data() + kSynFrameSize) == 0xc6120002);
}

}  // namespace mailsweep::engine
