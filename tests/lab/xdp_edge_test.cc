// The lab's XDP edge, run on frames built here (BPF_PROG_TEST_RUN: no interface, no namespace):
// which frames it drops, which it passes, and what it counts. Needs root (run through ctest with
// the integration label, which skips it otherwise).
#include "tests/lab/xdp_edge.h"

#include <linux/bpf.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "tests/lab/lab_model.h"

namespace mailsweep::lab {
namespace {

constexpr uint32_t Ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

// An Ethernet frame with an IPv4 header to `destination` and a bare TCP SYN (54 bytes), or only
// its first `length` bytes.
std::vector<uint8_t> Frame(uint32_t destination, uint16_t ethertype = 0x0800, size_t length = 54) {
  std::vector<uint8_t> f(54, 0);
  f[12] = static_cast<uint8_t>(ethertype >> 8);
  f[13] = static_cast<uint8_t>(ethertype);
  f[14] = 0x45;                                    // IPv4, 20-byte header
  f[16] = 0, f[17] = 40;                           // total length
  f[22] = 64, f[23] = 6;                           // TTL, TCP
  f[26] = 203, f[27] = 0, f[28] = 113, f[29] = 1;  // source
  for (int i = 0; i < 4; ++i) f[30 + i] = static_cast<uint8_t>(destination >> (24 - 8 * i));
  f[36] = 0xee, f[37] = 0x48, f[47] = 0x02, f[46] = 0x50;  // ports 61000 -> 0, SYN
  f.resize(length);
  return f;
}

uint32_t Verdict(const Edge& edge, const std::vector<uint8_t>& frame) {
  absl::StatusOr<uint32_t> v = edge.Run(frame);
  REQUIRE(v.ok());
  return *v;
}

}  // namespace

TEST_CASE("The edge drops dark lab addresses and passes live ones and everything else") {
  const uint32_t live_a = Ip(198, 18, 0, 5), live_b = Ip(198, 19, 255, 255);
  absl::StatusOr<Edge> edge = Edge::Load({live_a, live_b});
  REQUIRE(edge.ok());

  CHECK(Verdict(*edge, Frame(live_a)) == XDP_PASS);
  CHECK(Verdict(*edge, Frame(live_b)) == XDP_PASS);             // last address of the /15
  CHECK(Verdict(*edge, Frame(Ip(198, 18, 0, 4))) == XDP_DROP);  // same 64-address word
  CHECK(Verdict(*edge, Frame(Ip(198, 18, 0, 0))) == XDP_DROP);  // first address
  CHECK(Verdict(*edge, Frame(Ip(198, 19, 255, 254))) == XDP_DROP);
  // Not for the lab range, not IPv4, or too short to hold a destination: never the edge's call.
  CHECK(Verdict(*edge, Frame(Ip(198, 20, 0, 5))) == XDP_PASS);
  CHECK(Verdict(*edge, Frame(Ip(198, 17, 255, 255))) == XDP_PASS);
  CHECK(Verdict(*edge, Frame(Ip(203, 0, 113, 2))) == XDP_PASS);
  CHECK(Verdict(*edge, Frame(live_a - 1, 0x0806)) == XDP_PASS);  // ARP
  CHECK(Verdict(*edge, Frame(Ip(198, 18, 0, 4), 0x0800, 33)) == XDP_PASS);

  // Counts: every frame for the range (5 above), dropped or not; watched ones apart.
  absl::StatusOr<EdgeCounts> counts = ReadEdgeCounts(edge->id());
  REQUIRE(counts.ok());
  CHECK(counts->swept == 5);
  CHECK(counts->watched == 0);

  REQUIRE(WatchRange(edge->id(), Ip(198, 18, 0, 4), Ip(198, 18, 0, 7)).ok());
  CHECK(Verdict(*edge, Frame(Ip(198, 18, 0, 4))) == XDP_DROP);  // watched, still dark
  CHECK(Verdict(*edge, Frame(live_a)) == XDP_PASS);             // watched and live
  CHECK(Verdict(*edge, Frame(Ip(198, 18, 0, 8))) == XDP_DROP);  // next to the range
  counts = ReadEdgeCounts(edge->id());
  REQUIRE(counts.ok());
  CHECK(counts->swept == 8);
  CHECK(counts->watched == 2);
}

TEST_CASE("The edge refuses addresses outside the lab range") {
  CHECK(!Edge::Load({Ip(10, 0, 0, 1)}).ok());
  absl::StatusOr<Edge> edge = Edge::Load({});
  REQUIRE(edge.ok());
  CHECK(!WatchRange(edge->id(), Ip(10, 0, 0, 0), Ip(10, 0, 0, 255)).ok());
  CHECK(!WatchRange(edge->id(), Ip(198, 19, 255, 0), Ip(198, 20, 0, 0)).ok());  // runs past it
  CHECK(WatchRange(edge->id(), kLabFirst, kLabFirst + kLabCount - 1).ok());
}

}  // namespace mailsweep::lab
