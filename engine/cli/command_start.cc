#include "engine/cli/command_start.h"

#include <cstdio>

#include "absl/strings/str_format.h"

namespace mailsweep::engine {

std::optional<int> CommandStart::Parse(FlagSet* flags, int argc, const char* const* argv,
                                       std::vector<std::string>* positional) const {
  if (absl::Status s = flags->Parse(argc, argv, positional); !s.ok()) return Usage(s.message());
  if (flags->help_requested()) {
    fputs(flags->Help().c_str(), stdout);
    return 0;
  }
  return std::nullopt;
}

void CommandStart::Report(absl::string_view message) const {
  absl::FPrintF(stderr, "%s: %s\n", name_, message);
}

int CommandStart::Usage(absl::string_view message) const {
  Report(message);
  return 2;
}

}  // namespace mailsweep::engine
