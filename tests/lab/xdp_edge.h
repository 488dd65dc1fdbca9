// The lab's edge: an XDP program on the internet namespace's end of the veth that counts every
// packet arriving for 198.18.0.0/15 (and those for "watched" addresses, which a test expects to
// receive nothing) and drops packets to dark addresses before the kernel builds anything for
// them; live addresses pass on to the IP layer and the nftables classes. Also the benchmark
// sink's program, which drops every frame on arrival.
//
// Why XDP: with a veth, the receiving side's work runs on the sending CPU, so whatever the
// simulated Internet costs per packet is charged to the scanner under test. Dropping ~87% of a
// sweep (the dark addresses) in XDP costs a fraction of an nftables ingress chain (which did
// this before): the sweep benchmark's rates rose 10-30% for every tool, so it measures the
// scanners more and the lab less.
//
// The programs are a few dozen hand-assembled BPF instructions loaded with the bpf(2) system
// call and attached through netlink (no compiler or libbpf needed). Attached programs stay
// with the interface after this process exits; they go when the namespace is deleted. Counts
// and watches are reached later through the program's id. Needs root (CAP_SYS_ADMIN,
// CAP_NET_ADMIN); the calls that take an interface run in its namespace.
#ifndef MAILSWEEP_TESTS_LAB_XDP_EDGE_H_
#define MAILSWEEP_TESTS_LAB_XDP_EDGE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace mailsweep::lab {

// The edge program for the lab range (kLabFirst, kLabCount of lab_model.h), loaded: `live`
// addresses (host order, inside the range) pass, the range's other addresses are dropped,
// everything else passes. Owns its descriptor; attached, it stays after the object is gone.
class Edge {
 public:
  static absl::StatusOr<Edge> Load(const std::vector<uint32_t>& live);

  uint32_t id() const { return id_; }  // for WatchRange() and ReadEdgeCounts()

  // Attaches to `ifname` in generic mode (xdp_edge.cc says why).
  absl::Status Attach(const std::string& ifname) const;

  // Runs one frame through the program (BPF_PROG_TEST_RUN, counts included) and returns its
  // verdict: XDP_DROP or XDP_PASS.
  absl::StatusOr<uint32_t> Run(const std::vector<uint8_t>& frame) const;

 private:
  Edge(UniqueFd fd, uint32_t id) : fd_(std::move(fd)), id_(id) {}

  UniqueFd fd_;
  uint32_t id_ = 0;
};

// Edge::Load(live) and Attach(ifname). Returns the program's id.
absl::StatusOr<uint32_t> AttachEdge(const std::string& ifname, const std::vector<uint32_t>& live);

// Attaches a program that drops every frame to `ifname` (native mode). Returns its id.
// For the benchmark's sink, where only the sending side should cost anything.
absl::StatusOr<uint32_t> AttachDropAll(const std::string& ifname);

// Marks the addresses [first, last] (host order, inside the lab range) as watched.
absl::Status WatchRange(uint32_t prog_id, uint32_t first, uint32_t last);

struct EdgeCounts {
  uint64_t swept = 0;    // packets that arrived for the lab range
  uint64_t watched = 0;  // ... of them, for watched addresses
};
absl::StatusOr<EdgeCounts> ReadEdgeCounts(uint32_t prog_id);

}  // namespace mailsweep::lab

#endif  // MAILSWEEP_TESTS_LAB_XDP_EDGE_H_
