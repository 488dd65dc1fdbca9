// mailsweep: the command-line front door. Each subcommand lives in its own *_command.cc.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "engine/cli/probe_command.h"
#include "engine/cli/scan_command.h"
#include "engine/cli/sweep_command.h"
#include "engine/cli/targets_command.h"
#include "engine/cli/version_text.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, const char* const* argv);
};

constexpr Command kCommands[] = {
    {"scan", "sweep + probe + record in one process: the whole survey (checkpoints, --resume)",
     mailsweep::engine::RunScanCommand},
    {"targets", "print the targets of a sweep in walk order (preview, shards, blocklists)",
     mailsweep::engine::RunTargetsCommand},
    {"sweep", "find open ports with a raw-socket SYN sweep (CSV of open/closed/unreachable)",
     mailsweep::engine::RunSweepCommand},
    {"probe", "talk POP3/IMAP/SMTP (+STARTTLS/TLS) to targets from a list; one record each",
     mailsweep::engine::RunProbeCommand},
};

void PrintUsage(FILE* out) {
  fputs(
      "Usage: mailsweep COMMAND [flags] [args]\n\n"
      "mailsweep surveys mail servers (POP3, IMAP, SMTP) on the Internet: which still accept\n"
      "passwords without TLS.\n\nCommands:\n",
      out);
  for (const Command& c : kCommands) fprintf(out, "  %-10s %s\n", c.name, c.summary);
  fputs(
      "\n`mailsweep COMMAND --help` explains every flag of a command; `mailsweep --version`\n"
      "prints the version and those of OpenSSL, libpcap and libseccomp.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (name == "--version") {
    fputs(mailsweep::engine::VersionText().c_str(), stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(argc - 1, argv + 1);
  }
  fprintf(stderr, "mailsweep: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
