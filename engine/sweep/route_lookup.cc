#include "engine/sweep/route_lookup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "base/netlink_exchange.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace mailsweep::engine {
namespace {

absl::Status Errno(std::string_view what, int err) {
  return absl::UnavailableError(StrCat(what, ": ", strerror(err)));
}

uint32_t GetIpv4(const rtattr* a) {
  uint32_t v;
  memcpy(&v, RTA_DATA(a), 4);
  return ntohl(v);
}

}  // namespace

absl::StatusOr<MacAddress> ParseMac(std::string_view text) {
  MacAddress mac{};
  unsigned b[6];
  char tail;
  std::string s(text);
  if (sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) !=
      6) {
    return absl::InvalidArgumentError(
        StrCat("'", text, "' is not a MAC address (aa:bb:cc:dd:ee:ff)"));
  }
  for (int i = 0; i < 6; ++i) {
    if (b[i] > 255) return absl::InvalidArgumentError(StrCat("'", text, "' is not a MAC address"));
    mac[i] = static_cast<uint8_t>(b[i]);
  }
  return mac;
}

std::string FormatMac(const MacAddress& m) {
  char buf[18];
  snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

absl::StatusOr<MacAddress> InterfaceMac(const std::string& interface) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Errno("socket", errno);
  ifreq req{};
  if (interface.size() >= IFNAMSIZ) return absl::InvalidArgumentError("interface name too long");
  memcpy(req.ifr_name, interface.c_str(), interface.size());
  if (ioctl(fd.get(), SIOCGIFHWADDR, &req) != 0) {
    return Errno(StrCat("MAC address of '", interface, "'"), errno);
  }
  MacAddress mac;
  memcpy(mac.data(), req.ifr_hwaddr.sa_data, 6);
  return mac;
}

absl::StatusOr<uint32_t> InterfaceAddress(const std::string& interface) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Errno("socket", errno);
  ifreq req{};
  if (interface.size() >= IFNAMSIZ) return absl::InvalidArgumentError("interface name too long");
  memcpy(req.ifr_name, interface.c_str(), interface.size());
  if (ioctl(fd.get(), SIOCGIFADDR, &req) != 0) {
    return Errno(StrCat("IPv4 address of '", interface, "'"), errno);
  }
  sockaddr_in sin;
  memcpy(&sin, &req.ifr_addr, sizeof(sin));
  return ntohl(sin.sin_addr.s_addr);
}

absl::StatusOr<std::optional<MacAddress>> LookupNeighbour(int ifindex, uint32_t address) {
  struct {
    nlmsghdr h;
    ndmsg nd;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(ndmsg));
  req.h.nlmsg_type = RTM_GETNEIGH;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nd.ndm_family = AF_INET;
  std::optional<MacAddress> found;
  absl::Status s = NetlinkExchange(&req, req.h.nlmsg_len, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWNEIGH) return;
    const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(h));
    if (nd->ndm_ifindex != ifindex) return;
    if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NOARP)) return;
    int len = static_cast<int>(RTM_PAYLOAD(h));
    std::optional<uint32_t> dst;
    std::optional<MacAddress> mac;
    for (auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(nd) +
                                                   NLMSG_ALIGN(sizeof(ndmsg)));
         RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4) dst = GetIpv4(a);
      if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
        MacAddress m;
        memcpy(m.data(), RTA_DATA(a), 6);
        mac = m;
      }
    }
    if (dst && *dst == address && mac) found = mac;
  });
  if (!s.ok()) return s;
  return found;
}

absl::StatusOr<std::string> InterfaceQdisc(int ifindex) {
  struct {
    nlmsghdr h;
    tcmsg tc;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(tcmsg));
  req.h.nlmsg_type = RTM_GETQDISC;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.tc.tcm_family = AF_UNSPEC;
  std::string kind;
  absl::Status s = NetlinkExchange(&req, req.h.nlmsg_len, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWQDISC) return;
    const auto* tc = static_cast<const tcmsg*>(NLMSG_DATA(h));
    if (tc->tcm_ifindex != ifindex || tc->tcm_parent != TC_H_ROOT) return;
    int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(tcmsg)));
    for (auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(tc) +
                                                   NLMSG_ALIGN(sizeof(tcmsg)));
         RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      if (a->rta_type == TCA_KIND) kind = static_cast<const char*>(RTA_DATA(a));
    }
  });
  if (!s.ok()) return s;
  return kind;
}

absl::StatusOr<RouteInfo> LookupRoute(uint32_t destination) {
  struct {
    nlmsghdr h;
    rtmsg rt;
    char attrs[64];
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.rt.rtm_family = AF_INET;
  req.rt.rtm_dst_len = 32;
  auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.h.nlmsg_len));
  a->rta_type = RTA_DST;
  a->rta_len = RTA_LENGTH(4);
  const uint32_t be = htonl(destination);
  memcpy(RTA_DATA(a), &be, 4);
  req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_ALIGN(a->rta_len);

  RouteInfo info;
  bool got = false;
  int kernel_error = 0;
  absl::Status s = NetlinkExchange(
      &req, req.h.nlmsg_len,
      [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWROUTE) return;
        got = true;
        const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(h));
        int len = static_cast<int>(RTM_PAYLOAD(h));
        for (auto* r = RTM_RTA(rt); RTA_OK(r, len); r = RTA_NEXT(r, len)) {
          if (r->rta_type == RTA_OIF) memcpy(&info.ifindex, RTA_DATA(r), 4);
          if (r->rta_type == RTA_GATEWAY && RTA_PAYLOAD(r) == 4) info.gateway = GetIpv4(r);
          if (r->rta_type == RTA_PREFSRC && RTA_PAYLOAD(r) == 4) info.source = GetIpv4(r);
        }
      },
      &kernel_error);
  if (kernel_error == ENETUNREACH || kernel_error == EHOSTUNREACH) {
    return absl::NotFoundError("no route to the targets");
  }
  if (!s.ok()) return s;
  if (!got || info.ifindex == 0) return absl::NotFoundError("no route to the targets");
  char name[IF_NAMESIZE];
  if (if_indextoname(static_cast<unsigned>(info.ifindex), name) == nullptr) {
    return Errno("interface of the route", errno);
  }
  info.interface = name;
  if (info.interface == "lo") {
    return absl::FailedPreconditionError("the targets are local addresses (route via lo)");
  }
  info.next_hop = info.gateway.value_or(destination);
  auto mac = InterfaceMac(info.interface);
  if (!mac.ok()) return mac.status();
  info.source_mac = *mac;
  if (info.source == 0) {
    auto src = InterfaceAddress(info.interface);
    if (src.ok()) info.source = *src;
  }
  auto neighbour = LookupNeighbour(info.ifindex, info.next_hop);
  if (!neighbour.ok()) return neighbour.status();
  info.next_hop_mac = *neighbour;
  return info;
}

}  // namespace mailsweep::engine
