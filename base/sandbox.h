// The seccomp sandbox: after set-up (sockets, capture handle and output files open, privileges
// dropped), a filter for the whole process allows only the system calls the running stages
// need. A forbidden call (exec, opening a file to write or create it, a raw or packet socket,
// ptrace, ...) ends the process: "mailsweep: sandbox: forbidden system call NAME (N) in thread
// TID" on stderr, then killed by SIGSYS. Opening a file to read it fails with EACCES.
// Used by `mailsweep scan`, `sweep` and `probe` (engine/cli/).
//
// Thread rules: InstallSandbox from the main thread, after DropPrivileges (base/privileges.h),
// while it is the process's only thread: threads started later inherit the filter, and one
// already running would not get it (so InstallSandbox refuses then). TryForbiddenCallForTest may
// be called from any thread.
//
// Example:
//   SandboxOptions sandbox;
//   sandbox.Register(&flags);                       // --no-sandbox
//   ... open sockets and files, DropPrivileges ...
//   absl::StatusOr<std::string> s = InstallSandbox(sandbox, SandboxProfile::kProbe);
//   if (!s.ok()) return Fail(s.status());
//   Report(*s);                                     // "sandbox: seccomp, 61 system calls"
#ifndef MAILSWEEP_BASE_SANDBOX_H_
#define MAILSWEEP_BASE_SANDBOX_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/flag_set.h"

namespace mailsweep {

struct SandboxOptions {
  bool disabled = false;  // --no-sandbox: for debugging only

  void Register(FlagSet* flags);
};

// Which stages run after set-up: each adds the calls it needs to a common set.
enum class SandboxProfile {
  kSweep,  // SYN senders (packet sockets or a TX ring) and the capture thread
  kProbe,  // prober loops: epoll, non-blocking AF_INET stream sockets, OpenSSL
  kScan,   // both, and the checkpoint slots rewritten in place (ftruncate)
};

// Installs the filter (nothing with options.disabled). Returns what the start line says.
// kFailedPrecondition when another thread runs already, kInternal when libseccomp or the kernel
// refuses: the caller must stop.
absl::StatusOr<std::string> InstallSandbox(const SandboxOptions& options, SandboxProfile profile);

// The threads whose code calls TryForbiddenCallForTest.
enum class SandboxThread { kProber, kSender, kReceiver };

// TEST ONLY. When the environment variable MAILSWEEP_TEST_SANDBOX_ESCAPE was "THREAD:CALL" at
// InstallSandbox (THREAD: prober, sender or receiver; CALL: execve, or openat, which creates a
// file), the first call from such a thread attempts CALL on a path that does not exist and
// reports on stderr what came back ("mailsweep: sandbox test hook: execve in sender thread:
// No such file or directory"). With the sandbox on, the attempt ends the process instead.
// Without the variable: one relaxed load, nothing else.
void TryForbiddenCallForTest(SandboxThread thread);

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_SANDBOX_H_
