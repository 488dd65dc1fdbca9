// Giving up the privileges that only set-up needs. mailsweep needs root (or CAP_NET_RAW) to open
// its packet sockets and capture handle; nothing after that does, and the threads that parse
// what the Internet sends must not run with them. DropPrivileges switches to an unprivileged
// user (when started as root), clears every capability set (effective, permitted, inheritable,
// ambient and, when the process may, the bounding set), sets PR_SET_NO_NEW_PRIVS, so that no
// exec can give any of it back, and makes the process not dumpable (no ptrace, no core dump,
// /proc files root's), so that no process of the same user can borrow its packet sockets.
// Started by a normal user through a copy of the binary with file capabilities (setcap
// cap_net_raw+ep), it stays that user and drops them the same way; only the bounding set stays
// (dropping from it needs CAP_SETPCAP), which no-new-privs makes moot.
// Used by the commands (engine/cli/) once their sockets and output files are open.
//
// Thread rules: call from the main thread before any other thread starts. Capabilities and the
// no-new-privs bit belong to each thread (threads started later inherit them); a thread that
// already runs would keep its own.
//
// Example:
//   PrivilegeOptions privileges;
//   privileges.Register(&flags);                    // --user NAME
//   if (absl::Status s = ValidatePrivilegeOptions(privileges); !s.ok()) return Usage(s);
//   ... open sockets and files ...
//   absl::StatusOr<std::string> as = DropPrivileges(privileges);
//   if (!as.ok()) return Fail(as.status());
//   Report(StrCat("running as ", *as));             // "nobody (uid 65534, gid 65534), ..."
#ifndef MAILSWEEP_BASE_PRIVILEGES_H_
#define MAILSWEEP_BASE_PRIVILEGES_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/flag_set.h"

namespace mailsweep {

struct PrivilegeOptions {
  // The user to switch to when started as root; empty: "nobody". Refused when not root.
  std::string user;

  void Register(FlagSet* flags);
};

// The checks of DropPrivileges that need no change: the user exists and is not root, and --user
// only when root. kInvalidArgument naming the problem. Call before creating output files.
absl::Status ValidatePrivilegeOptions(const PrivilegeOptions& options);

// kPermissionDenied, saying what to do, when the calling thread lacks CAP_NET_RAW in its
// effective set, so that the packet sockets and the capture handle could not be opened. sweep and
// scan (not with --dryrun) check it before they make any file: a run that cannot start leaves
// nothing behind.
absl::Status CheckPacketCapability();

// Drops the privileges as described above. Returns what the process now runs as, for the start
// line. Errors (kInvalidArgument: an unknown user, root, or --user without root;
// kPermissionDenied: a step the kernel refused) leave the process as it was or partly dropped:
// the caller must stop.
absl::StatusOr<std::string> DropPrivileges(const PrivilegeOptions& options);

// The privileges the calling thread has, from /proc/thread-self/status: "Uid 65534\t65534...,
// Gid ..., CapEff 0000000000000000, CapPrm ..., CapInh ..., CapAmb ..., CapBnd ..., NoNewPrivs 1,
// Seccomp 2" (for messages and tests).
std::string DescribeThreadPrivileges();

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_PRIVILEGES_H_
