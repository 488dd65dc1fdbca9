#include "base/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "base/strings.h"

namespace mailsweep {
namespace {

absl::Status Denied(const char* what) {
  const int err = errno;
  return absl::PermissionDeniedError(StrCat("dropping privileges: ", what, ": ", strerror(err)));
}

struct Caps {
  __user_cap_data_struct data[2] = {};
};

bool GetCaps(Caps* caps) {
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &header, caps->data) == 0;
}

bool HasEffective(const Caps& caps, int cap) {
  return (caps.data[cap / 32].effective >> (cap % 32)) & 1;
}

// Whom to become: the named user (root only), or who we are.
struct Target {
  bool root = false;
  std::string name;  // empty when not root
  uid_t uid = 0;
  gid_t gid = 0;
};

absl::StatusOr<Target> ResolveTarget(const PrivilegeOptions& options) {
  Target t;
  t.root = geteuid() == 0;
  t.uid = geteuid();
  t.gid = getegid();
  if (!t.root) {
    if (options.user.empty()) return t;
    // Started by a normal user (with file capabilities, say): it stays that user.
    return absl::InvalidArgumentError(
        StrCat("--user: only a mailsweep started as root switches users; this one runs as uid ",
               t.uid, " and stays so, without its capabilities, once set up"));
  }
  t.name = options.user.empty() ? "nobody" : options.user;
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  if (getpwnam_r(t.name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(StrCat("--user: no user ", Quote(t.name)));
  }
  if (found->pw_uid == 0) {
    return absl::InvalidArgumentError(
        StrCat("--user: ", Quote(t.name), " is root, which keeps every privilege"));
  }
  t.uid = found->pw_uid;
  t.gid = found->pw_gid;
  return t;
}

}  // namespace

void PrivilegeOptions::Register(FlagSet* flags) {
  flags->String("--user", "NAME",
                "the user to run as once the sockets and files are open, when started as root "
                "(default: nobody); every capability is dropped either way",
                &user);
}

absl::Status ValidatePrivilegeOptions(const PrivilegeOptions& options) {
  return ResolveTarget(options).status();
}

absl::Status CheckPacketCapability() {
  Caps caps;
  if (GetCaps(&caps) && HasEffective(caps, CAP_NET_RAW)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      StrCat("needs CAP_NET_RAW for its packet sockets (uid ", geteuid(),
             " has not got it): run as root, or give a copy of the binary the capability with "
             "setcap cap_net_raw+ep FILE (docs/commands.md: Running as a normal user)"));
}

absl::StatusOr<std::string> DropPrivileges(const PrivilegeOptions& options) {
  absl::StatusOr<Target> target = ResolveTarget(options);
  if (!target.ok()) return target.status();
  const bool root = target->root;
  std::string name = target->name;
  const uid_t uid = target->uid;
  const gid_t gid = target->gid;

  // The bounding set first: dropping from it needs CAP_SETPCAP, which the switch of user clears.
  Caps caps;
  if (!GetCaps(&caps)) return Denied("capget");
  if (HasEffective(caps, CAP_SETPCAP)) {
    for (int cap = 0; cap < 64; ++cap) {
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
        if (errno == EINVAL) break;  // past the last capability this kernel knows
        return Denied("PR_CAPBSET_DROP");
      }
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return Denied("PR_CAP_AMBIENT_CLEAR_ALL");
  }
  if (root) {
    if (initgroups(name.c_str(), gid) != 0) return Denied("initgroups");
    if (setresgid(gid, gid, gid) != 0) return Denied("setresgid");
    if (setresuid(uid, uid, uid) != 0) return Denied("setresuid");
  }
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2] = {};
  if (syscall(SYS_capset, &header, none) != 0) return Denied("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Denied("PR_SET_NO_NEW_PRIVS");
  // Not dumpable: once no capability is left, a process of the same user could otherwise
  // ptrace this one or take its packet socket with pidfd_getfd. A normal user's process started
  // through file capabilities stays dumpable, and a switch of user leaves it to fs.suid_dumpable.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return Denied("PR_SET_DUMPABLE");

  // Check rather than trust: no way back to root, no capability left.
  uid_t r, e, s;
  if (getresuid(&r, &e, &s) != 0) return Denied("getresuid");
  if (root && (r == 0 || e == 0 || s == 0)) {
    return absl::PermissionDeniedError("dropping privileges: still uid 0");
  }
  if (!GetCaps(&caps)) return Denied("capget");
  for (const auto& d : caps.data) {
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) {
      return absl::PermissionDeniedError("dropping privileges: capabilities remain");
    }
  }
  if (name.empty()) {
    std::vector<char> buf(16384);
    passwd pw;
    passwd* found = nullptr;
    name = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found
               ? found->pw_name
               : StrCat("uid ", uid);
  }
  return StrCat(name, " (uid ", uid, ", gid ", gid, "), no capabilities");
}

std::string DescribeThreadPrivileges() {
  std::ifstream in("/proc/thread-self/status");
  std::string line, out;
  for (const char* key : {"Uid:", "Gid:", "CapEff:", "CapPrm:", "CapInh:", "CapAmb:", "CapBnd:",
                          "NoNewPrivs:", "Seccomp:"}) {
    in.clear();
    in.seekg(0);
    while (std::getline(in, line)) {
      if (line.rfind(key, 0) != 0) continue;
      std::string value = line.substr(std::strlen(key));
      value.erase(0, value.find_first_not_of(" \t"));
      StrAppend(&out, out.empty() ? "" : ", ", line.substr(0, std::strlen(key) - 1), " ", value);
      break;
    }
  }
  return out;
}

}  // namespace mailsweep
