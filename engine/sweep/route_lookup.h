// Finds how a sweep reaches its targets, from the kernel's tables over rtnetlink (as `ip route
// get` and `ip neigh` do): the outgoing interface, its MAC and source address, and the MAC of the
// next hop (the gateway, or the target itself when it is on-link). Used by `mailsweep sweep` to
// fill -i, -S and -G when they are not given. Set-up code; the neighbour entry must exist (the
// lab installs a permanent one; on a real host, any traffic to the gateway creates it).
//
// Example:
//   absl::StatusOr<RouteInfo> r = LookupRoute(target_address);
//   // r->interface "eth0", r->source, r->source_mac, r->next_hop_mac
#ifndef MAILSWEEP_ENGINE_SWEEP_ROUTE_LOOKUP_H_
#define MAILSWEEP_ENGINE_SWEEP_ROUTE_LOOKUP_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/sweep/syn_packet.h"

namespace mailsweep::engine {

struct RouteInfo {
  std::string interface;
  int ifindex = 0;
  uint32_t source = 0;              // preferred source address (host order), 0 if none
  std::optional<uint32_t> gateway;  // none: the destination is on-link
  uint32_t next_hop = 0;            // gateway or destination
  MacAddress source_mac{};
  std::optional<MacAddress> next_hop_mac;  // none when the neighbour table has no usable entry
};

// The route the kernel would take to `destination` (host order). kNotFound when unroutable.
absl::StatusOr<RouteInfo> LookupRoute(uint32_t destination);

// The MAC and first IPv4 address of an interface.
absl::StatusOr<MacAddress> InterfaceMac(const std::string& interface);
absl::StatusOr<uint32_t> InterfaceAddress(const std::string& interface);

// The neighbour table entry (reachable, stale, permanent, ...) for `address` on `ifindex`.
absl::StatusOr<std::optional<MacAddress>> LookupNeighbour(int ifindex, uint32_t address);

// The kind of the interface's root qdisc ("noqueue", "mq", "fq_codel", ...), "" if none found.
absl::StatusOr<std::string> InterfaceQdisc(int ifindex);

// "aa:bb:cc:dd:ee:ff".
absl::StatusOr<MacAddress> ParseMac(std::string_view text);
std::string FormatMac(const MacAddress& mac);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_ROUTE_LOOKUP_H_
