#include "engine/cli/targets_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/flag_set.h"
#include "base/strings.h"
#include "base/text_format.h"
#include "engine/cli/command_start.h"
#include "engine/run/walk_options.h"
#include "targets/port_list.h"

namespace mailsweep::engine {
namespace {

constexpr CommandStart kCommand("mailsweep targets");

// Writes "ip,port\n" lines through one large buffer: tests walk 10^6 targets through this.
class LineWriter {
 public:
  explicit LineWriter(FILE* out) : out_(out) {}
  ~LineWriter() { Flush(); }

  void Write(const targets::Target& t) {
    if (used_ + 24 > sizeof(buf_)) Flush();
    char* p = buf_ + used_;
    p += FormatIpv4To(t.address, p);
    *p++ = ',';
    char digits[6];
    int n = 0;
    uint32_t port = t.port;
    do {
      digits[n++] = static_cast<char>('0' + port % 10);
      port /= 10;
    } while (port);
    while (n) *p++ = digits[--n];
    *p++ = '\n';
    used_ = static_cast<size_t>(p - buf_);
  }

  bool Flush() {
    if (used_ && fwrite(buf_, 1, used_, out_) != used_) ok_ = false;
    used_ = 0;
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  FILE* out_;
  char buf_[1 << 16];
  size_t used_ = 0;
  bool ok_ = true;
};

}  // namespace

int RunTargetsCommand(int argc, const char* const* argv) {
  WalkOptions options;
  bool quiet = false;
  FlagSet flags(kCommand.name(), "[flags] CIDR...",
                "Prints the targets of a sweep, one \"ip,port\" line each, in the order a sweep "
                "with the same\nflags would visit them, and a summary (count, seed, shard) on "
                "stderr. Use it to preview a\nsweep: what is blocked, how shards split the work, "
                "what a seed does.");
  options.Register(&flags);
  flags.Bool("-q,--quiet", "no summary on stderr", &quiet);
  flags.Epilog(
      "Targets are IPv4 addresses, CIDR blocks (192.0.2.0/24) or ranges (192.0.2.1-192.0.2.9).\n"
      "The IANA special-purpose ranges are always blocked unless lifted with --allow-reserved.\n"
      "Example: mailsweep targets -p 110,143 --seed 1 --allow-reserved 198.18.0.0/15 "
      "198.18.0.0/30\n"
      "Exit status: 0 done, 1 output failed, 2 bad usage.");
  std::vector<std::string> positional;
  if (std::optional<int> exit = kCommand.Parse(&flags, argc, argv, &positional)) return *exit;
  auto walk = ResolveWalk(options, positional);
  if (!walk.ok()) return kCommand.Usage(walk.status().message());
  for (const std::string& note : walk->notes) {
    kCommand.Report(StrCat("warning: ", note));
  }

  LineWriter writer(stdout);
  targets::TargetWalk cursor(walk->space, walk->permutation, walk->shard_range);
  uint64_t count = 0;
  for (targets::Target t; cursor.Next(&t);) {
    writer.Write(t);
    ++count;
  }
  const bool ok = writer.Flush() && fflush(stdout) == 0;
  const int write_errno = errno;
  if (!quiet) {
    absl::FPrintF(stderr,
                  "mailsweep targets: %d targets (%d addresses x %d ports: %s), seed %d%s, "
                  "shard %d of %d, positions [%d, %d) of %d; blocklist %d addresses (%s)\n",
                  count, walk->space.address_count(), walk->space.ports().size(),
                  targets::FormatPortList(walk->space.ports()), walk->seed,
                  walk->seed_was_random ? " (random)" : "", options.shard, options.shards,
                  walk->shard_range.begin, walk->shard_range.end, walk->permutation.cycle_length(),
                  walk->space.blocked().Count(), DescribeBlocklistFiles(walk->blocklist_files));
  }
  if (!ok) {
    kCommand.Report(StrCat("writing standard output failed: ", strerror(write_errno)));
    return 1;
  }
  return 0;
}

}  // namespace mailsweep::engine
