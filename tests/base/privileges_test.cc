// base/privileges.h: a child process started as root drops to nobody; its main thread and a
// thread started afterwards have non-zero ids, no capability in any set and no-new-privs; and
// it cannot get root back. A normal user holding capabilities (as a copy of the binary with file
// capabilities gives them) keeps its uid and ends with none. Needs root (CI runs as root);
// skipped otherwise.
#include "base/privileges.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

namespace mailsweep {
namespace {

// Runs `body` in a forked child; returns its exit status (0: every check held).
template <typename Body>
int InChild(Body body) {
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Dropped(const std::string& d) {
  return d.find("Uid 65534\t65534\t65534\t65534") != std::string::npos &&
         d.find("CapEff 0000000000000000") != std::string::npos &&
         d.find("CapPrm 0000000000000000") != std::string::npos &&
         d.find("CapBnd 0000000000000000") != std::string::npos &&
         d.find("NoNewPrivs 1") != std::string::npos;
}

TEST_CASE("privileges: root drops to nobody, every capability, for later threads too") {
  if (geteuid() != 0) {
    WARN("not root: skipped");
    return;
  }
  const int rc = InChild([] {
    auto as = DropPrivileges({});
    if (!as.ok() || as->find("nobody (uid 65534") != 0) return 1;
    if (!Dropped(DescribeThreadPrivileges())) return 2;
    bool thread_ok = false;
    std::thread t([&] { thread_ok = Dropped(DescribeThreadPrivileges()); });
    t.join();
    if (!thread_ok) return 3;
    if (setuid(0) == 0 || seteuid(0) == 0) return 4;  // no way back
    return 0;
  });
  CHECK(rc == 0);
}

TEST_CASE("privileges: bad --user values are refused before anything changes") {
  if (geteuid() != 0) {
    WARN("not root: skipped");
    return;
  }
  const int rc = InChild([] {
    auto unknown = DropPrivileges({.user = "no-such-user-mailsweep"});
    if (unknown.ok() || unknown.status().message().find("no user") == std::string::npos) return 1;
    auto root = DropPrivileges({.user = "root"});
    if (root.ok() || root.status().message().find("is root") == std::string::npos) return 2;
    if (geteuid() != 0) return 3;  // refused before any step
    return 0;
  });
  CHECK(rc == 0);
}

TEST_CASE("privileges: without root, --user is refused and capabilities still go") {
  const int rc = InChild([] {
    if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0) return 1;
    auto named = DropPrivileges({.user = "nobody"});
    if (named.ok()) return 2;
    auto plain = DropPrivileges({});
    if (!plain.ok()) return 3;
    const std::string d = DescribeThreadPrivileges();
    if (d.find("CapEff 0000000000000000") == std::string::npos) return 4;
    if (d.find("NoNewPrivs 1") == std::string::npos) return 5;
    return 0;
  });
  CHECK(rc == 0);
}

// The calling thread as a normal user (nobody) holding what `setcap
// cap_net_raw,cap_net_admin+ep` gives, plus CAP_NET_RAW inheritable and ambient (what a service
// manager's AmbientCapabilities= gives). False when a step fails.
bool BecomeUserWithCapabilities() {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return false;
  if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) return false;
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  const uint32_t net = (1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN);
  data[0].effective = data[0].permitted = net;
  data[0].inheritable = 1u << CAP_NET_RAW;
  if (syscall(SYS_capset, &header, data) != 0) return false;
  return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) == 0;
}

bool NoCapabilityLeft(const std::string& d) {
  for (const char* set : {"CapEff", "CapPrm", "CapInh", "CapAmb"}) {
    if (d.find(std::string(set) + " 0000000000000000") == std::string::npos) return false;
  }
  return d.find("NoNewPrivs 1") != std::string::npos;
}

TEST_CASE("privileges: a normal user with file capabilities stays itself and drops them all") {
  if (geteuid() != 0) {
    WARN("not root: skipped");
    return;
  }
  const int rc = InChild([] {
    if (!BecomeUserWithCapabilities()) return 1;
    const std::string before = DescribeThreadPrivileges();
    if (before.find("CapEff 0000000000003000") == std::string::npos) return 2;  // 12, 13
    if (before.find("CapAmb 0000000000002000") == std::string::npos) return 3;
    if (!CheckPacketCapability().ok()) return 10;
    // --user: refused with a reason, before anything changes.
    auto named = DropPrivileges({.user = "daemon"});
    if (named.ok() || named.status().message().find("started as root") == std::string::npos ||
        named.status().message().find("uid 65534") == std::string::npos) {
      return 4;
    }
    if (DescribeThreadPrivileges() != before) return 5;
    auto as = DropPrivileges({});
    if (!as.ok() || as->find("nobody (uid 65534, gid 65534), no capabilities") != 0) return 6;
    if (!NoCapabilityLeft(DescribeThreadPrivileges())) return 7;
    // Still the same user, but not dumpable: that user's other processes cannot ptrace it.
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return 12;
    const absl::Status packets = CheckPacketCapability();
    if (!absl::IsPermissionDenied(packets) ||
        packets.message().find("needs CAP_NET_RAW") == std::string::npos) {
      return 11;
    }
    bool thread_ok = false;
    std::thread t([&] { thread_ok = NoCapabilityLeft(DescribeThreadPrivileges()); });
    t.join();
    if (!thread_ok) return 8;
    // None comes back: raising one again is refused.
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = data[0].permitted = 1u << CAP_NET_RAW;
    if (syscall(SYS_capset, &header, data) == 0) return 9;
    return 0;
  });
  CHECK(rc == 0);
}

}  // namespace
}  // namespace mailsweep
