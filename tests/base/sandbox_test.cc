// The seccomp sandbox in a forked child: what the stages need still works, what they must not
// do (open a file, exec, a packet socket) ends the process by SIGSYS with the message.
#include "base/sandbox.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace mailsweep {
namespace {

struct ChildEnd {
  int status = 0;
  std::string err;  // what the child wrote on stderr
};

// Runs body in a child with stderr into a pipe, after InstallSandbox(options, profile). The
// child exits 0 when body returns true, 1 otherwise.
ChildEnd RunSandboxed(const SandboxOptions& options, SandboxProfile profile,
                      const std::function<bool()>& body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    if (!InstallSandbox(options, profile).ok()) _exit(3);
    _exit(body() ? 0 : 1);
  }
  close(fds[1]);
  ChildEnd end;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) end.err.append(buf, n);
  close(fds[0]);
  REQUIRE(waitpid(pid, &end.status, 0) == pid);
  return end;
}

bool KilledBySigsys(const ChildEnd& end) {
  return WIFSIGNALED(end.status) && WTERMSIG(end.status) == SIGSYS;
}

bool ExitedWith(const ChildEnd& end, int code) {
  return WIFEXITED(end.status) && WEXITSTATUS(end.status) == code;
}

const char kMissingPath[] = "/nonexistent-mailsweep-sandbox-test/file";

bool CreateFile() {
  const int fd = openat(AT_FDCWD, kMissingPath, O_WRONLY | O_CREAT, 0600);
  return fd < 0 && errno == ENOENT;
}

}  // namespace

TEST_CASE("SandboxOpeningAFileKillsTheProcessBySigsysWithTheCallNamed") {
  const ChildEnd end = RunSandboxed({}, SandboxProfile::kProbe, CreateFile);
  CHECK(KilledBySigsys(end));
  CHECK(end.err.find("mailsweep: sandbox: forbidden system call openat (") != std::string::npos);
  CHECK(end.err.find(") in thread ") != std::string::npos);
}

TEST_CASE("SandboxExecveKillsTheSweepProcessToo") {
  const ChildEnd end = RunSandboxed({}, SandboxProfile::kSweep, [] {
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execve("/bin/true", argv, environ);
    return false;
  });
  CHECK(KilledBySigsys(end));
  CHECK(end.err.find("forbidden system call execve (59)") != std::string::npos);
}

TEST_CASE("SandboxProbeMayOpenAnInetStreamSocketButNoPacketOrRawSocket") {
  const auto stream = [] {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    close(fd);
    return true;
  };
  CHECK(ExitedWith(RunSandboxed({}, SandboxProfile::kProbe, stream), 0));
  const ChildEnd datagram =
      RunSandboxed({}, SandboxProfile::kProbe, [] { return socket(AF_INET, SOCK_DGRAM, 0) >= 0; });
  CHECK(KilledBySigsys(datagram));
  CHECK(datagram.err.find("forbidden system call socket") != std::string::npos);
  CHECK(KilledBySigsys(RunSandboxed({}, SandboxProfile::kProbe,
                                    [] { return socket(AF_PACKET, SOCK_RAW, 0) >= 0; })));
  // The sweep's sockets are all open before the filter: it may create none.
  CHECK(KilledBySigsys(RunSandboxed({}, SandboxProfile::kSweep, stream)));
}

TEST_CASE("SandboxAllowsWhatTheRunningStagesNeed") {
  const auto work = [] {
    unsigned char key[16];
    if (getrandom(key, sizeof(key), 0) != sizeof(key)) return false;
    std::string big(1 << 22, 'x');  // mmap/munmap through malloc
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return false;  // not allowed: must not be reached
    return big.size() == (1u << 22);
  };
  // pipe2 is not among the stages' calls: the child dies at it, after the rest worked.
  const ChildEnd end = RunSandboxed({}, SandboxProfile::kProbe, work);
  CHECK(KilledBySigsys(end));
  CHECK(end.err.find("forbidden system call pipe2") != std::string::npos);
}

TEST_CASE("SandboxFailsAReadOnlyOpenWithoutEndingTheProcess") {
  const ChildEnd end = RunSandboxed({}, SandboxProfile::kSweep, [] {
    const int fd = open("/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC);
    return fd < 0 && errno == EACCES;
  });
  CHECK(ExitedWith(end, 0));
  CHECK(end.err.empty());
  // Writing to a file that exists is as forbidden as creating one.
  CHECK(KilledBySigsys(
      RunSandboxed({}, SandboxProfile::kSweep, [] { return open("/dev/null", O_WRONLY) >= 0; })));
}

TEST_CASE("SandboxAllowsIsattyButNoOtherIoctl") {
  CHECK(ExitedWith(RunSandboxed({}, SandboxProfile::kProbe,
                                [] {
                                  (void)isatty(
                                      STDERR_FILENO);  // TCGETS on the pipe: ENOTTY, not SIGSYS
                                  return true;
                                }),
                   0));
  const ChildEnd end = RunSandboxed({}, SandboxProfile::kProbe, [] {
    char c = 'x';
    return ioctl(STDERR_FILENO, TIOCSTI, &c) == 0;
  });
  CHECK(KilledBySigsys(end));
  CHECK(end.err.find("forbidden system call ioctl (16)") != std::string::npos);
}

TEST_CASE("SandboxRefusesToInstallWhileAnotherThreadRuns") {
  // In a child: a thread that runs already would not get the filter, so none is installed.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int block[2];
    if (pipe(block) != 0) _exit(9);
    std::thread sleeper([&] {
      char c;
      (void)!read(block[0], &c, 1);
    });
    const absl::StatusOr<std::string> s = InstallSandbox({}, SandboxProfile::kProbe);
    const bool refused = absl::IsFailedPrecondition(s.status()) &&
                         s.status().message().find("2 threads run already") != std::string::npos;
    std::ifstream status("/proc/self/status");
    bool unfiltered = false;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Seccomp:", 0) == 0) unfiltered = std::atoi(line.c_str() + 8) == 0;
    }
    (void)!write(block[1], "x", 1);
    sleeper.join();
    _exit(!refused ? 1 : !unfiltered ? 2 : 0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("NoSandboxLeavesEveryCallAllowed") {
  SandboxOptions off;
  off.disabled = true;
  const ChildEnd end = RunSandboxed(off, SandboxProfile::kProbe, CreateFile);
  CHECK(ExitedWith(end, 0));
  CHECK(end.err.empty());
}

}  // namespace mailsweep
