// The lab's simulated Internet as pure functions of a seed: which address of 198.18.0.0/15 is a
// mail host (and with which profile), a closed host (every port answers RST), dark (drops
// everything) or, when asked for, unreachable (ICMP host-unreachable), which single (address, port)
// pairs of mail hosts are closed, and which country a block belongs to. The lab tool (lab_tool.cc)
// turns this into nftables sets, ground truth and a geo CSV; tests recompute the same truth. Host
// classes come from our SipHash keyed by the seed (not nft's jhash), so the ground truth is exact.
// Pure; thread-safe.
//
// Example:
//   LabModel lab({.seed = 7});
//   HostClass c = lab.Classify(address);   // c.kind, c.profile
//   bool open = lab.IsOpen(address, 143);
#ifndef MAILSWEEP_TESTS_LAB_LAB_MODEL_H_
#define MAILSWEEP_TESTS_LAB_LAB_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/siphash.h"

namespace mailsweep::lab {

inline constexpr uint32_t kLabFirst = 0xC6120000;  // 198.18.0.0
inline constexpr uint32_t kLabCount = 1u << 17;    // /15

struct LabParams {
  uint64_t seed = 1;
  double mail_share = 0.03;    // of all addresses
  double closed_share = 0.10;  // closed hosts (RST on every port)
  double pair_closed = 0.02;   // of a mail host's open ports, closed on their own
  // Shares of the mail-host profiles 0..6 (starttls, plain, implicit, legacy, slow, busy, down).
  // The load profiles 4-6 are off by default, so the default lab is the one of profiles 0-3.
  double profile_share[7] = {0.45, 0.35, 0.10, 0.10, 0, 0, 0};

  // Hosts answering ICMP host-unreachable to every SYN (off by default).
  double unreachable_share = 0;
};

enum class HostKind { kDark, kClosed, kMail, kUnreachable };

struct HostClass {
  HostKind kind = HostKind::kDark;
  int profile = -1;  // 0..6 for mail hosts
};

// Profiles 0-3 are served by real servers (Dovecot, Postfix: tests/lab/servers/start.sh), 4-6 by
// the load fixtures (tests/lab/servers/fixtures.py):
//   4 slow: greetings trickled at 1 byte/s, then plaintext-only capabilities
//   5 busy: SMTP answering 421 to the first connection to each (address, port), then normal
//   6 down: always refuses (POP3 -ERR, IMAP BYE, SMTP 421 to EHLO)
inline constexpr int kProfiles = 7;
inline constexpr int kRealServerProfiles = 4;  // 0-3
// "starttls", "plain", "implicit", "legacy", "slow", "busy", "down"; "none" for others.
const char* ProfileName(int profile);
// The mail ports a profile serves (others answer RST).
const std::vector<uint16_t>& ProfilePorts(int profile);
// The port a profile's server listens on inside the internet namespace: 20000 + 1000*k + port.
inline uint16_t ServerPort(int profile, uint16_t port) {
  return static_cast<uint16_t>(20000 + 1000 * profile + port);
}

class LabModel {
 public:
  explicit LabModel(const LabParams& params);

  HostClass Classify(uint32_t address) const;
  bool PairClosed(uint32_t address, uint16_t port) const;
  // What a SYN to (address, port) draws: 'o' open, 'c' closed (RST), 'u' ICMP unreachable,
  // 0 nothing.
  char Answer(uint32_t address, uint16_t port) const;

  // Country blocks: /24s of the lab range assigned to countries in published proportions,
  // merged into ranges, sorted. Each entry: first, last, two-letter code.
  struct GeoBlock {
    uint32_t first;
    uint32_t last;
    std::string country;
  };
  std::vector<GeoBlock> Geo() const;

  const LabParams& params() const { return params_; }

 private:
  double Unit(uint32_t address, uint64_t what) const;

  LabParams params_;
  SipKey key_;
};

}  // namespace mailsweep::lab

#endif  // MAILSWEEP_TESTS_LAB_LAB_MODEL_H_
