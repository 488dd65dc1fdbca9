#include "base/sandbox.h"

#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

#include "base/strings.h"

namespace mailsweep {
namespace {

// The calls every stage makes after set-up: memory (malloc, thread stacks), threads, futexes,
// time, signals (signalfd, the status loop), writes of records and status lines, and the exit.
// No exec, socket creation, ptrace, mount, ... : those are not here, so they trap. Opens: below.
constexpr int kCommonCalls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(readv),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(lseek),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(fcntl),
    SCMP_SYS(fdatasync),
    SCMP_SYS(fsync),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(getrusage),
    SCMP_SYS(getrandom),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(tgkill),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
};

// Sweep: sendmmsg on the packet sockets (or sendto kicking a TX ring); libpcap's capture ring
// is polled and read in place (mmap'd at set-up).
constexpr int kSweepCalls[] = {SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg)};

// Probe: connections (AF_INET SOCK_STREAM only, rule below), TLS on them.
constexpr int kProbeCalls[] = {SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(getsockname),
                               SCMP_SYS(getpeername), SCMP_SYS(shutdown)};

// Scan: both of the above, and the checkpoint slots rewritten in place and cut to length
// (engine/scan/checkpoint_file.h).
constexpr int kScanCalls[] = {SCMP_SYS(ftruncate)};

// The names of the system calls, resolved at install time: the SIGSYS handler may not allocate.
constexpr int kNamedCalls = 512;
constexpr int kNameBytes = 28;
char g_names[kNamedCalls][kNameBytes];

// Async-signal-safe formatting for the handler.
size_t AppendText(char* buf, size_t pos, size_t cap, const char* s) {
  while (*s != '\0' && pos + 1 < cap) buf[pos++] = *s++;
  return pos;
}

size_t AppendNumber(char* buf, size_t pos, size_t cap, long n) {
  char digits[24];
  int len = 0;
  unsigned long v = n < 0 ? 0UL - static_cast<unsigned long>(n) : static_cast<unsigned long>(n);
  do {
    digits[len++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (n < 0 && pos + 1 < cap) buf[pos++] = '-';
  while (len > 0 && pos + 1 < cap) buf[pos++] = digits[--len];
  return pos;
}

// SIGSYS from the filter (SCMP_ACT_TRAP): say which call, then die of SIGSYS. SA_RESETHAND has
// put the default action back; unblocking and re-raising SIGSYS ends the whole process.
void OnForbiddenCall(int, siginfo_t* info, void*) {
  const int saved_errno = errno;
  const int nr = info->si_syscall;
  char msg[160];
  size_t n = AppendText(msg, 0, sizeof(msg), "mailsweep: sandbox: forbidden system call ");
  n = AppendText(msg, n, sizeof(msg),
                 nr >= 0 && nr < kNamedCalls && g_names[nr][0] != '\0' ? g_names[nr] : "?");
  n = AppendText(msg, n, sizeof(msg), " (");
  n = AppendNumber(msg, n, sizeof(msg), nr);
  n = AppendText(msg, n, sizeof(msg), ") in thread ");
  const long tid = syscall(SYS_gettid);
  n = AppendNumber(msg, n, sizeof(msg), tid);
  n = AppendText(msg, n, sizeof(msg), "\n");
  (void)!write(STDERR_FILENO, msg, n);
  sigset_t sys;
  sigemptyset(&sys);
  sigaddset(&sys, SIGSYS);
  pthread_sigmask(SIG_UNBLOCK, &sys, nullptr);
  syscall(SYS_tgkill, getpid(), tid, SIGSYS);
  errno = saved_errno;
}

void ResolveNames() {
  for (int nr = 0; nr < kNamedCalls; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name == nullptr) continue;
    strncpy(g_names[nr], name, kNameBytes - 1);
    free(name);
  }
}

absl::Status Refused(const char* what, int rc) {
  return absl::InternalError(StrCat("sandbox: ", what, ": ", strerror(-rc)));
}

// The test hook's choice, parsed at install time (see TryForbiddenCallForTest).
enum class EscapeCall { kNone, kExecve, kOpenat };
std::atomic<int> g_escape_thread{-1};
EscapeCall g_escape_call = EscapeCall::kNone;

// The threads of this process, from /proc/self/status (0 when it cannot be read).
int ThreadsRunning() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return atoi(line.c_str() + 8);
  }
  return 0;
}

void ArmTestHook() {
  const char* value = getenv("MAILSWEEP_TEST_SANDBOX_ESCAPE");
  if (value == nullptr) return;
  const std::string_view v(value);
  const size_t colon = v.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view thread = v.substr(0, colon), call = v.substr(colon + 1);
  const int t = thread == "prober"     ? static_cast<int>(SandboxThread::kProber)
                : thread == "sender"   ? static_cast<int>(SandboxThread::kSender)
                : thread == "receiver" ? static_cast<int>(SandboxThread::kReceiver)
                                       : -1;
  g_escape_call = call == "execve"   ? EscapeCall::kExecve
                  : call == "openat" ? EscapeCall::kOpenat
                                     : EscapeCall::kNone;
  if (g_escape_call != EscapeCall::kNone) g_escape_thread.store(t);
}

}  // namespace

void SandboxOptions::Register(FlagSet* flags) {
  flags->Bool("--no-sandbox",
              "do not install the seccomp filter after set-up (for debugging only: a prober "
              "could then exec, open files and create sockets)",
              &disabled);
}

absl::StatusOr<std::string> InstallSandbox(const SandboxOptions& options, SandboxProfile profile) {
  ArmTestHook();
  if (options.disabled) return std::string("sandbox: off (--no-sandbox)");
  // Without TSYNC the filter binds the calling thread and those it starts later. A thread
  // already running would escape it: refuse rather than leave one unfiltered.
  if (const int threads = ThreadsRunning(); threads != 1) {
    return absl::FailedPreconditionError(
        threads == 0 ? std::string("sandbox: cannot count the threads (/proc/self/status)")
                     : StrCat("sandbox: ", threads,
                              " threads run already; the filter must be installed on the only "
                              "thread, before the stages start"));
  }
  ResolveNames();
  // glibc reads /etc/localtime at the first localtime_r; once read, it is not opened again.
  tzset();
  struct sigaction action = {};
  action.sa_sigaction = OnForbiddenCall;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND;
  if (sigaction(SIGSYS, &action, nullptr) != 0) return Refused("sigaction", -errno);

  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
  if (ctx == nullptr) return absl::InternalError("sandbox: seccomp_init failed");
  int rc = 0;
  int allowed = 0;
  auto allow = [&](const int* calls, size_t count) {
    for (size_t i = 0; i < count && rc == 0; ++i, ++allowed) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
    }
  };
  allow(kCommonCalls, std::size(kCommonCalls));
  // ioctl: isatty()'s TCGETS and FIONREAD only; TIOCSTI on a terminal would type commands
  // into the shell that started us.
  for (const unsigned long request : {TCGETS, FIONREAD}) {
    if (rc == 0) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                            SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(request)));
      ++allowed;
    }
  }
  // A read-only open fails with EACCES instead of ending the run: glibc opens a few files
  // lazily (/proc/sys/vm/overcommit_memory when a thread's heap first shrinks) and copes with
  // the failure. Any other open (writing, creating, truncating) traps like every call not here.
  constexpr uint64_t kWriteBits = O_ACCMODE | O_CREAT | O_TRUNC;
  if (rc == 0) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1,
                          SCMP_A2(SCMP_CMP_MASKED_EQ, kWriteBits, 0));
  }
  if (rc == 0) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 1,
                          SCMP_A1(SCMP_CMP_MASKED_EQ, kWriteBits, 0));
  }
  if (profile != SandboxProfile::kProbe) allow(kSweepCalls, std::size(kSweepCalls));
  if (profile == SandboxProfile::kScan) allow(kScanCalls, std::size(kScanCalls));
  if (profile != SandboxProfile::kSweep) {
    allow(kProbeCalls, std::size(kProbeCalls));
    // socket(AF_INET, SOCK_STREAM | flags, 0) only: the type's low bits are the kind of
    // socket, the high bits SOCK_NONBLOCK / SOCK_CLOEXEC.
    if (rc == 0) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_INET),
                            SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM));
      ++allowed;
    }
  }
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) return Refused("installing the seccomp filter", rc);
  return StrCat("sandbox: seccomp, ", allowed, " system calls");
}

void TryForbiddenCallForTest(SandboxThread thread) {
  if (g_escape_thread.load(std::memory_order_relaxed) != static_cast<int>(thread)) return;
  int expected = static_cast<int>(thread);
  if (!g_escape_thread.compare_exchange_strong(expected, -1)) return;  // once per process
  const char* name = thread == SandboxThread::kProber   ? "prober"
                     : thread == SandboxThread::kSender ? "sender"
                                                        : "receiver";
  // Paths in a directory that does not exist: without the sandbox nothing runs or appears.
  const char* path = "/nonexistent-mailsweep-sandbox-test/file";
  const char* call = "execve";
  if (g_escape_call == EscapeCall::kExecve) {
    char* const argv[] = {const_cast<char*>(path), nullptr};
    execve(path, argv, environ);
  } else {
    call = "openat";
    const int fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
  }
  const int err = errno;
  const std::string msg = StrCat("mailsweep: sandbox test hook: ", call, " in ", name,
                                 " thread: ", strerror(err), "\n");
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
}

}  // namespace mailsweep
