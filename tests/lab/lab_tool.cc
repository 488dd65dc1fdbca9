// mailsweep_lab: the lab's helper, driven by tests/lab/lab.sh (which owns the namespaces).
//   mailsweep_lab nft   --seed S [model flags] --iface IF   nftables ruleset for the internet ns
//   mailsweep_lab truth --seed S [model flags] [-p PORTS]  ground truth: ip,port,status,profile
//   mailsweep_lab geo   --seed S                           geo CSV: first_ip,last_ip,country
//   mailsweep_lab hosts --seed S [model flags]             ip,class,profile of every non-dark host
//   mailsweep_lab listen PORT...                           plain listeners until killed
//   mailsweep_lab edge  --seed S [model flags] --iface IF  attach the XDP edge; prints its id
//   mailsweep_lab edge-watch --prog ID CIDR                count packets to CIDR at the edge
//   mailsweep_lab edge-count --prog ID                     prints "swept watched" packet counts
//   mailsweep_lab sink-drop --iface IF                     attach a drop-everything XDP program
// Model flags: --mail-share F --closed-share F --pair-closed F --unreachable-share F
// --profile-shares F,F,... (profiles 0-6 in order, adding up to 1; missing ones 0). Everything is a
// pure function of the seed and the flags (see lab_model.h), so the same call always prints the
// same lines.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/text_format.h"
#include "targets/ipv4.h"
#include "targets/port_list.h"
#include "tests/lab/lab_model.h"
#include "tests/lab/xdp_edge.h"

namespace mailsweep::lab {
namespace {

int Usage() {
  fputs(
      "usage: mailsweep_lab nft|truth|geo|hosts --seed S [--mail-share F] [--closed-share F]\n"
      "                     [--pair-closed F] [--unreachable-share F] [--profile-shares F,...]\n"
      "                     [--iface IF] [-p PORTS]\n"
      "       mailsweep_lab listen PORT...\n"
      "       mailsweep_lab edge --seed S [model flags] --iface IF\n"
      "       mailsweep_lab edge-watch --prog ID CIDR | edge-count --prog ID\n"
      "       mailsweep_lab sink-drop --iface IF\n",
      stderr);
  return 2;
}

std::string Ip(uint32_t a) { return FormatIpv4(a); }

// "0.45,0.45,0.1": the shares of profiles 0, 1, 2, ...; the others get 0. False unless every
// share is a number >= 0, there are at most kProfiles and they add up to 1 (a host's profile is
// where a uniform draw in [0, 1) falls among the cumulative shares).
bool ParseProfileShares(std::string_view text, LabParams* params) {
  double shares[kProfiles] = {};
  double sum = 0;
  int n = 0;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string item(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    char* end = nullptr;
    const double v = strtod(item.c_str(), &end);
    if (n == kProfiles || item.empty() || *end != '\0' || !(v >= 0)) return false;
    shares[n++] = v;
    sum += v;
  }
  if (!(std::fabs(sum - 1) < 1e-6)) return false;
  std::copy(shares, shares + kProfiles, params->profile_share);
  return true;
}

// Profiles 0-3 always have their sets and rules (the default lab's ruleset stays as it was);
// the load profiles only when they have hosts.
bool InRuleset(const LabModel& lab, int profile) {
  return profile < kRealServerProfiles || lab.params().profile_share[profile] > 0;
}

// Prints "name { type ...; elements = { ... } }" lines, omitting elements when empty.
// A set that never changes after loading. Its declared size makes the kernel pick the fixed-size
// hash (nft_hash_fast for 4-byte keys) over the resizable rhashtable: each packet the lab receives
// is looked up, and the sweep benchmark measured 4-5% more packets/s through the lab.
void PrintSet(FILE* out, const char* name, const char* type, const std::vector<std::string>& e) {
  fprintf(out, "  set %s {\n    type %s\n    size %zu\n", name, type,
          std::max<size_t>(e.size(), 16));
  if (!e.empty()) {
    fputs("    elements = {", out);
    for (size_t i = 0; i < e.size(); ++i) {
      fputs(i % 8 == 0 ? "\n      " : " ", out);
      fputs(e[i].c_str(), out);
      if (i + 1 < e.size()) fputc(',', out);
    }
    fputs("\n    }\n", out);
  }
  fputs("  }\n", out);
}

std::string PortSet(const std::vector<uint16_t>& ports) {
  std::string s = "{ ";
  for (size_t i = 0; i < ports.size(); ++i) s += (i ? ", " : "") + std::to_string(ports[i]);
  return s + " }";
}

int Nft(const LabModel& lab, const std::string& iface) {
  std::vector<std::string> mail[kProfiles], mail_all, closed, unreachable, pairs;
  for (uint32_t i = 0; i < kLabCount; ++i) {
    const uint32_t a = kLabFirst + i;
    const HostClass c = lab.Classify(a);
    if (c.kind == HostKind::kClosed) closed.push_back(Ip(a));
    if (c.kind == HostKind::kUnreachable) unreachable.push_back(Ip(a));
    if (c.kind != HostKind::kMail) continue;
    mail[c.profile].push_back(Ip(a));
    mail_all.push_back(Ip(a));
    for (uint16_t p : ProfilePorts(c.profile)) {
      if (lab.PairClosed(a, p)) pairs.push_back(Ip(a) + " . " + std::to_string(p));
    }
  }
  FILE* o = stdout;
  fputs("table ip msw_lab {\n", o);
  for (int k = 0; k < kProfiles; ++k) {
    if (InRuleset(lab, k)) PrintSet(o, ("mail" + std::to_string(k)).c_str(), "ipv4_addr", mail[k]);
  }
  PrintSet(o, "mail_all", "ipv4_addr", mail_all);
  PrintSet(o, "closed_hosts", "ipv4_addr", closed);
  PrintSet(o, "unreachable_hosts", "ipv4_addr", unreachable);
  PrintSet(o, "closed_pairs", "ipv4_addr . inet_service", pairs);
  // Before conntrack: keep everything but mail hosts out of conntrack.
  fprintf(o,
          "  chain raw {\n    type filter hook prerouting priority raw; policy accept;\n"
          "    iifname \"%s\" ip daddr 198.18.0.0/15 ip daddr != @mail_all notrack\n  }\n",
          iface.c_str());
  // Classify: mark 1 = served (redirected to a server), mark 2 = answer RST, else drop (dark).
  // Closed hosts first: the classes are disjoint, and they are three quarters of what passes
  // the edge, so most packets leave the chain after one lookup instead of seven.
  fprintf(o,
          "  chain classify {\n    type filter hook prerouting priority -150; policy accept;\n"
          "    iifname != \"%s\" accept\n"
          "    ip daddr != 198.18.0.0/15 accept\n"
          "    meta l4proto != tcp drop\n"
          "    ip daddr @closed_hosts meta mark set 2 accept\n"
          "    ip daddr . tcp dport @closed_pairs meta mark set 2 accept\n",
          iface.c_str());
  for (int k = 0; k < kProfiles; ++k) {
    if (!InRuleset(lab, k)) continue;
    fprintf(o, "    ip daddr @mail%d tcp dport %s meta mark set 1 accept\n", k,
            PortSet(ProfilePorts(k)).c_str());
  }
  fputs(
      "    ip daddr @mail_all meta mark set 2 accept\n"
      "    ip daddr @unreachable_hosts meta mark set 3 accept\n"
      "    drop\n  }\n",
      o);
  fputs("  chain nat {\n    type nat hook prerouting priority dstnat; policy accept;\n", o);
  for (int k = 0; k < kProfiles; ++k) {
    if (!InRuleset(lab, k)) continue;
    std::string map = "{ ";
    const auto& ports = ProfilePorts(k);
    for (size_t i = 0; i < ports.size(); ++i) {
      map += (i ? ", " : "") + std::to_string(ports[i]) + " : " +
             std::to_string(ServerPort(k, ports[i]));
    }
    map += " }";
    fprintf(o, "    meta mark 1 ip daddr @mail%d meta l4proto tcp redirect to tcp dport map %s\n",
            k, map.c_str());
  }
  fputs("  }\n", o);
  fputs(
      "  chain input {\n    type filter hook input priority filter; policy accept;\n"
      "    meta mark 2 reject with tcp reset\n"
      "    meta mark 3 reject with icmp type host-unreachable\n  }\n}\n",
      o);
  return ferror(o) ? 1 : 0;
}

// Every address that answers (mail, closed or unreachable hosts): what the edge lets through.
std::vector<uint32_t> LiveAddresses(const LabModel& lab) {
  std::vector<uint32_t> live;
  for (uint32_t i = 0; i < kLabCount; ++i) {
    if (lab.Classify(kLabFirst + i).kind != HostKind::kDark) live.push_back(kLabFirst + i);
  }
  return live;
}

int Fail(const absl::Status& s) {
  fprintf(stderr, "mailsweep_lab: %s\n", std::string(s.message()).c_str());
  return 1;
}

int EdgeUp(const LabModel& lab, const std::string& iface) {
  absl::StatusOr<uint32_t> id = AttachEdge(iface, LiveAddresses(lab));
  if (!id.ok()) return Fail(id.status());
  printf("%u\n", *id);
  return 0;
}

int EdgeWatch(uint32_t prog_id, std::string_view cidr) {
  absl::StatusOr<targets::Ipv4Range> r = targets::ParseIpv4Range(cidr);
  if (!r.ok()) return Fail(r.status());
  absl::Status s = WatchRange(prog_id, r->first, r->last);
  return s.ok() ? 0 : Fail(s);
}

int EdgeCount(uint32_t prog_id) {
  absl::StatusOr<EdgeCounts> c = ReadEdgeCounts(prog_id);
  if (!c.ok()) return Fail(c.status());
  printf("%llu %llu\n", static_cast<unsigned long long>(c->swept),
         static_cast<unsigned long long>(c->watched));
  return 0;
}

int SinkDrop(const std::string& iface) {
  absl::StatusOr<uint32_t> id = AttachDropAll(iface);
  if (!id.ok()) return Fail(id.status());
  printf("%u\n", *id);
  return 0;
}

int Truth(const LabModel& lab, const std::vector<uint16_t>& ports) {
  for (uint32_t i = 0; i < kLabCount; ++i) {
    const uint32_t a = kLabFirst + i;
    const HostClass c = lab.Classify(a);
    if (c.kind == HostKind::kDark) continue;
    for (uint16_t p : ports) {
      const char answer = lab.Answer(a, p);
      if (answer == 0) continue;
      printf("%s,%u,%s,%s\n", Ip(a).c_str(), p,
             answer == 'o'   ? "open"
             : answer == 'c' ? "closed"
                             : "unreachable",
             answer == 'o' ? ProfileName(c.profile) : "");
    }
  }
  return ferror(stdout) ? 1 : 0;
}

int Hosts(const LabModel& lab) {
  for (uint32_t i = 0; i < kLabCount; ++i) {
    const uint32_t a = kLabFirst + i;
    const HostClass c = lab.Classify(a);
    if (c.kind == HostKind::kDark) continue;
    const char* kind = c.kind == HostKind::kMail     ? "mail"
                       : c.kind == HostKind::kClosed ? "closed"
                                                     : "unreachable";
    printf("%s,%s,%s\n", Ip(a).c_str(), kind,
           c.kind == HostKind::kMail ? ProfileName(c.profile) : "");
  }
  return 0;
}

int Geo(const LabModel& lab) {
  for (const auto& b : lab.Geo()) {
    printf("%s,%s,%s\n", Ip(b.first).c_str(), Ip(b.last).c_str(), b.country.c_str());
  }
  return 0;
}

// Listening sockets are all a SYN-ACK needs; accepted connections are closed at once.
int Listen(const std::vector<uint16_t>& ports) {
  std::vector<pollfd> fds;
  for (uint16_t p : ports) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(p);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0 ||
        listen(fd, 4096) != 0) {
      fprintf(stderr, "mailsweep_lab listen: port %u: %s\n", p, strerror(errno));
      return 1;
    }
    fds.push_back({fd, POLLIN, 0});
  }
  fprintf(stdout, "listening on %zu ports\n", fds.size());
  fflush(stdout);
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return 1;
    for (pollfd& p : fds) {
      if (!(p.revents & POLLIN)) continue;
      for (int c; (c = accept4(p.fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) close(c);
    }
  }
}

}  // namespace
}  // namespace mailsweep::lab

int main(int argc, char** argv) {
  using namespace mailsweep::lab;
  if (argc < 2) return Usage();
  const std::string_view command = argv[1];
  LabParams params;
  std::string iface = "i0";
  std::vector<uint16_t> ports = {25, 110, 143, 465, 587, 993, 995};
  std::vector<uint16_t> listen_ports;
  uint32_t prog_id = 0;
  std::string cidr;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (command == "listen") {
      listen_ports.push_back(static_cast<uint16_t>(atoi(argv[i])));
    } else if (a == "--seed" && has_value) {
      params.seed = strtoull(argv[++i], nullptr, 0);
    } else if (a == "--mail-share" && has_value) {
      params.mail_share = atof(argv[++i]);
    } else if (a == "--closed-share" && has_value) {
      params.closed_share = atof(argv[++i]);
    } else if (a == "--unreachable-share" && has_value) {
      params.unreachable_share = atof(argv[++i]);
    } else if (a == "--pair-closed" && has_value) {
      params.pair_closed = atof(argv[++i]);
    } else if (a == "--profile-shares" && has_value) {
      if (!ParseProfileShares(argv[++i], &params)) return Usage();
    } else if (a == "--prog" && has_value) {
      prog_id = static_cast<uint32_t>(strtoul(argv[++i], nullptr, 10));
    } else if (command == "edge-watch" && cidr.empty() && !a.empty() && a[0] != '-') {
      cidr = a;
    } else if (a == "--iface" && has_value) {
      iface = argv[++i];
    } else if ((a == "-p" || a == "--ports") && has_value) {
      auto p = mailsweep::targets::ParsePortList(argv[++i]);
      if (!p.ok()) return Usage();
      ports = *p;
    } else {
      return Usage();
    }
  }
  const LabModel lab(params);
  if (command == "nft") return Nft(lab, iface);
  if (command == "truth") return Truth(lab, ports);
  if (command == "geo") return Geo(lab);
  if (command == "hosts") return Hosts(lab);
  if (command == "listen") return listen_ports.empty() ? Usage() : Listen(listen_ports);
  if (command == "edge") return EdgeUp(lab, iface);
  if (command == "edge-watch")
    return prog_id == 0 || cidr.empty() ? Usage() : EdgeWatch(prog_id, cidr);
  if (command == "edge-count") return prog_id == 0 ? Usage() : EdgeCount(prog_id);
  if (command == "sink-drop") return SinkDrop(iface);
  return Usage();
}
