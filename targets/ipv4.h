// IPv4 addresses and inclusive address ranges as host-order integers, and the parsers for the
// three spellings a user writes: "192.0.2.1", "192.0.2.0/24" and "192.0.2.1-192.0.2.9".
// Used by every list reader (targets, -b, -w, --allow-reserved). Pure functions.
//
// Example:
//   absl::StatusOr<Ipv4Range> r = ParseIpv4Range("198.18.0.0/15");  // {0xC6120000, 0xC613FFFF}
#ifndef MAILSWEEP_TARGETS_IPV4_H_
#define MAILSWEEP_TARGETS_IPV4_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mailsweep::targets {

// Both ends included, so 0.0.0.0/0 is representable; first <= last always.
struct Ipv4Range {
  uint32_t first = 0;
  uint32_t last = 0;

  uint64_t size() const { return uint64_t{last} - first + 1; }
  bool Contains(uint32_t a) const { return a >= first && a <= last; }
  friend bool operator==(const Ipv4Range&, const Ipv4Range&) = default;
};

// Strict dotted quad: four decimal octets 0-255, no signs, no spaces, at most 3 digits each.
absl::StatusOr<uint32_t> ParseIpv4(std::string_view text);

// "a.b.c.d", "a.b.c.d/len" (host bits are cleared, as ZMap does) or "a.b.c.d-e.f.g.h".
absl::StatusOr<Ipv4Range> ParseIpv4Range(std::string_view text);

// True when `text` looks like an IPv6 address or prefix (contains ':'); list readers skip those
// with a warning instead of failing.
bool LooksLikeIpv6(std::string_view text);

// "a.b.c.d/len" when the range is one CIDR block, else "a.b.c.d-e.f.g.h".
std::string FormatRange(const Ipv4Range& range);

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_IPV4_H_
