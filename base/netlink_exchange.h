// NetlinkExchange: one request to the kernel's routing netlink (NETLINK_ROUTE) and its answer,
// over a socket of its own. Used by the sweeper's route, neighbour and qdisc lookups and by the
// lab's XDP attach. Blocking; each call is independent, so any thread may call it.
//
// Example:
//   absl::Status s = NetlinkExchange(&req, req.h.nlmsg_len, [&](const nlmsghdr* h) {
//     if (h->nlmsg_type == RTM_NEWROUTE) ...;
//   });
#ifndef MAILSWEEP_BASE_NETLINK_EXCHANGE_H_
#define MAILSWEEP_BASE_NETLINK_EXCHANGE_H_

#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace mailsweep {

// Sends `request` (`len` bytes) and calls `each(const nlmsghdr*)` for every message of the
// answer: the parts of a dump, or a single reply. An acknowledgement (NLM_F_ACK) ends it with OK.
// A kernel error ends it with UnavailableError("netlink: <reason>") and its error number in
// `*kernel_error` when that is given.
template <typename Fn>
absl::Status NetlinkExchange(const void* request, size_t len, Fn each,
                             int* kernel_error = nullptr) {
  auto failed = [](std::string_view what, int err) {
    return absl::UnavailableError(StrCat(what, ": ", strerror(err)));
  };
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) return failed("netlink socket", errno);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), request, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return failed("netlink send", errno);
  }
  std::vector<char> buf(1 << 16);
  for (;;) {
    const ssize_t n = recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed("netlink recv", errno);
    }
    unsigned int left = static_cast<unsigned int>(n);  // NLMSG_OK compares it with a __u32
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) return absl::OkStatus();
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (e->error == 0) return absl::OkStatus();
        if (kernel_error != nullptr) *kernel_error = -e->error;
        return failed("netlink", -e->error);
      }
      each(h);
      if (!(h->nlmsg_flags & NLM_F_MULTI)) return absl::OkStatus();
    }
  }
}

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_NETLINK_EXCHANGE_H_
