#include "targets/reserved.h"

#include <cstdlib>

namespace mailsweep::targets {
namespace {

constexpr ReservedRange kReserved[] = {
    {"0.0.0.0/8", "\"this network\" (RFC 791, RFC 1122)"},
    {"10.0.0.0/8", "private use (RFC 1918)"},
    {"100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"},
    {"127.0.0.0/8", "loopback (RFC 1122)"},
    {"169.254.0.0/16", "link local (RFC 3927)"},
    {"172.16.0.0/12", "private use (RFC 1918)"},
    {"192.0.0.0/24", "IETF protocol assignments (RFC 6890)"},
    {"192.0.2.0/24", "documentation, TEST-NET-1 (RFC 5737)"},
    {"192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"},
    {"192.168.0.0/16", "private use (RFC 1918)"},
    {"198.18.0.0/15", "benchmarking (RFC 2544)"},
    {"198.51.100.0/24", "documentation, TEST-NET-2 (RFC 5737)"},
    {"203.0.113.0/24", "documentation, TEST-NET-3 (RFC 5737)"},
    {"224.0.0.0/4", "multicast (RFC 5771)"},
    {"240.0.0.0/4", "reserved for future use (RFC 1112)"},
    {"255.255.255.255/32", "limited broadcast (RFC 919)"},
};

}  // namespace

std::span<const ReservedRange> ReservedRanges() { return kReserved; }

IntervalSet DefaultBlocklist() {
  std::vector<Ipv4Range> ranges;
  for (const ReservedRange& r : kReserved) {
    auto parsed = ParseIpv4Range(r.cidr);
    if (!parsed.ok()) std::abort();  // a typo in the table above; the unit test catches it
    ranges.push_back(*parsed);
  }
  return IntervalSet(std::move(ranges));
}

}  // namespace mailsweep::targets
