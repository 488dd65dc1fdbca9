// The table-driven bad-input test of issue 18: runs every row of tests/cli/bad_input/*.tsv (a
// command line of `mailsweep` or `mailsweep-agg`, the exit status it must end with and a text
// its stderr must contain; format in case_table.h) and checks that each is refused cleanly:
//   - it exits by itself (no signal) with the expected status (2: bad usage or input, 1: a
//     file that cannot be read or written, as the commands' --help say);
//   - stderr contains the expected text, is at most 4 KiB (no echo of huge tokens) and holds no
//     control bytes but newline and tab (no raw binary sent to a terminal);
//   - its peak RSS (wait4's ru_maxrss) stays under 200 MiB and it ends within 10 s. A child over
//     1 GiB or 10 s is killed (only that child, by its pid) and the row fails.
// SAFETY: `mailsweep sweep|scan|probe` rows run only inside a new, empty network namespace
// (unshare(CLONE_NEWNET) in the child before exec; if that fails the child never runs the
// command), and a row or fixture naming an address outside 198.18.0.0/15 or 0.0.0.0/8 is refused
// before anything runs. Registered in ctest with label `cli`, one test per table; needs root.
//
// Usage: bad_input_runner MAILSWEEP MAILSWEEP_AGG DATA_DIR TABLE.tsv...
//   (DATA_DIR: tests/results/data, the model of the damaged record files.)
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "tests/cli/bad_input/case_table.h"
#include "tests/cli/bad_input/fixtures.h"

namespace mailsweep::testing {
namespace {

constexpr size_t kMaxStderrBytes = 4096;
constexpr long kMaxRssKib = 200 * 1024;
constexpr uint64_t kKillRssBytes = uint64_t{1} << 30;
constexpr auto kTimeLimit = std::chrono::seconds(10);

struct Outcome {
  int wait_status = 0;
  long max_rss_kib = 0;
  std::string err;         // the first 64 KiB of stderr
  size_t err_bytes = 0;    // all of it
  double seconds = 0;
  std::string killed_for;  // why the runner killed the child, or ""
};

[[noreturn]] void ChildFail(const char* what) {
  const std::string msg = std::string("bad_input_runner: ") + what + ": " + strerror(errno) + "\n";
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
  _exit(125);
}

// In the child, between fork and exec: redirections, limits, the empty network namespace.
[[noreturn]] void Exec(const BadInputCase& c, const std::string& binary, int err_fd) {
  if (dup2(err_fd, STDERR_FILENO) < 0) _exit(125);
  const int in = open(c.stdin_path.c_str(), O_RDONLY);
  if (in < 0 || dup2(in, STDIN_FILENO) < 0) ChildFail("stdin");
  const int out = open(c.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || dup2(out, STDOUT_FILENO) < 0) ChildFail("stdout");
  if (c.address_space_mib > 0) {
    const rlimit r{c.address_space_mib << 20, c.address_space_mib << 20};
    if (setrlimit(RLIMIT_AS, &r) != 0) ChildFail("setrlimit");
  }
  if (c.needs_empty_network && unshare(CLONE_NEWNET) != 0) ChildFail("unshare(CLONE_NEWNET)");
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (size_t i = 1; i < c.argv.size(); ++i) argv.push_back(const_cast<char*>(c.argv[i].c_str()));
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  ChildFail("exec");
}

uint64_t RssBytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

Outcome Run(const BadInputCase& c, const std::string& binary) {
  Outcome o;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    o.killed_for = "pipe failed";
    return o;
  }
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) Exec(c, binary, fds[1]);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    o.killed_for = "fork failed";
    return o;
  }
  // Read stderr until it closes, watching the child's memory and time on the way.
  for (bool open = true; open;) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 20) > 0) {
      char buf[16384];
      const ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) {
        open = false;
      } else {
        o.err_bytes += static_cast<size_t>(n);
        if (o.err.size() < 65536) o.err.append(buf, static_cast<size_t>(n));
      }
    }
    if (o.killed_for.empty()) {
      if (RssBytes(pid) > kKillRssBytes) o.killed_for = "over 1 GiB of RSS";
      if (std::chrono::steady_clock::now() - start > kTimeLimit) o.killed_for = "over 10 s";
      if (!o.killed_for.empty()) kill(pid, SIGKILL);
    }
  }
  close(fds[0]);
  rusage ru{};
  while (wait4(pid, &o.wait_status, 0, &ru) < 0 && errno == EINTR) {
  }
  o.max_rss_kib = ru.ru_maxrss;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return o;
}

// What is wrong with the outcome, or "".
std::string Check(const BadInputCase& c, const Outcome& o) {
  if (!o.killed_for.empty()) return "killed by the runner: " + o.killed_for;
  if (WIFSIGNALED(o.wait_status)) {
    return std::string("ended by signal ") + strsignal(WTERMSIG(o.wait_status));
  }
  const int status = WEXITSTATUS(o.wait_status);
  if (status != c.status) {
    return "exit status " + std::to_string(status) + ", want " + std::to_string(c.status);
  }
  if (o.err.find(c.expected) == std::string::npos) return "stderr lacks '" + c.expected + "'";
  if (o.err_bytes > kMaxStderrBytes) {
    return "stderr has " + std::to_string(o.err_bytes) + " bytes (at most 4 KiB)";
  }
  for (unsigned char ch : o.err) {
    if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
      return "stderr holds control byte " + std::to_string(ch);
    }
  }
  if (o.max_rss_kib > kMaxRssKib) {
    return "peak RSS " + std::to_string(o.max_rss_kib / 1024) + " MiB (at most 200)";
  }
  return "";
}

std::string Shown(const BadInputCase& c) {
  std::string s;
  for (const std::string& a : c.argv) {
    s += (s.empty() ? "" : " ") + (a.size() > 80 ? a.substr(0, 40) + "...(" +
                                                       std::to_string(a.size()) + " bytes)"
                                                 : a);
  }
  if (c.stdin_path != "/dev/null") s += " <" + c.stdin_path;
  if (c.stdout_path != "/dev/null") s += " >" + c.stdout_path;
  return s;
}

// The safety rule must hold before any row runs: a broken UnsafeAddress() stops the runner.
bool SafetyRuleWorks() {
  for (const char* unsafe : {"10.0.0.1", "8.8.8.8/32", "198.17.0.0/16", "198.18.0.0.0",
                             "198.18.0.1-199.0.0.1", "x1.2.3.4y", "198.20.0.1,25"}) {
    if (UnsafeAddress(unsafe).empty()) return false;
  }
  for (const char* safe : {"198.18.0.0/15", "198.19.255.255", "0.0.0.0/8", "198.18.0.300",
                           "1.5", "1e300", "0x10", "198.18.0.1-198.18.0.9", "@T@/a.b.c.d"}) {
    if (!UnsafeAddress(safe).empty()) return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: bad_input_runner MAILSWEEP MAILSWEEP_AGG DATA_DIR TABLE...\n");
    return 2;
  }
  if (geteuid() != 0) {
    fprintf(stderr, "bad_input_runner: needs root (rows run in new network namespaces)\n");
    return 77;  // ctest: skipped
  }
  if (!SafetyRuleWorks()) {
    fprintf(stderr, "bad_input_runner: the address check is broken: refusing to run anything\n");
    return 1;
  }
  const std::map<std::string, std::string> binaries = {{"mailsweep", argv[1]},
                                                       {"mailsweep-agg", argv[2]}};
  std::string dir = (std::filesystem::temp_directory_path() / "bad_input.XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    perror("mkdtemp");
    return 1;
  }
  int failed = 0;
  size_t total = 0;
  long max_rss_kib = 0;
  double max_seconds = 0;
  std::map<std::string, int> per_command;
  if (std::string e = MakeFixtures(dir, argv[3]); !e.empty()) {
    fprintf(stderr, "fixtures: %s\n", e.c_str());
    failed = 1;
  }
  for (int t = 4; t < argc && failed == 0; ++t) {
    std::ifstream in(argv[t]);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<BadInputCase> cases;
    std::string error;
    const std::string name = std::filesystem::path(argv[t]).filename().string();
    if (!in || !ParseCaseTable(name, text, dir, &cases, &error)) {
      fprintf(stderr, "%s: %s\n", argv[t], in ? error.c_str() : "cannot read");
      failed = 1;
      break;
    }
    for (const BadInputCase& c : cases) {
      ++total;
      ++per_command[c.argv[0] + " " + c.argv[1]];
      const Outcome o = Run(c, binaries.at(c.argv[0]));
      max_rss_kib = std::max(max_rss_kib, o.max_rss_kib);
      max_seconds = std::max(max_seconds, o.seconds);
      if (std::string why = Check(c, o); !why.empty()) {
        ++failed;
        printf("FAIL %s: %s\n  command: %s\n  stderr (%zu bytes): %.600s\n", c.where.c_str(),
               why.c_str(), Shown(c).c_str(), o.err_bytes, o.err.c_str());
      }
    }
  }
  std::filesystem::remove_all(dir);
  for (const auto& [command, n] : per_command) printf("%4d cases: %s\n", n, command.c_str());
  printf("%zu cases, %d failed; highest peak RSS %ld MiB, longest %.2f s\n", total, failed,
         max_rss_kib / 1024, max_seconds);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace mailsweep::testing

int main(int argc, char** argv) { return mailsweep::testing::Main(argc, argv); }
