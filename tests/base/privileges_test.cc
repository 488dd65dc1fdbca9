// base/privileges.h: a child process started as root drops to nobody; its main thread and a
// thread started afterwards have non-zero ids, no capability in any set and no-new-privs; and
// it cannot get root back. Needs root (CI runs as root); skipped otherwise.
#include "base/privileges.h"

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

}  // namespace
}  // namespace mailsweep
