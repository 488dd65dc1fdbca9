// The start every command shares: parse the flags, answer --help, and report a bad usage as
// "mailsweep X: message" on stderr with exit status 2. Used by engine/cli/*_command.cc on the
// main thread (set-up code); a constant of it names the command for all its messages.
//
// Example:
//   constexpr CommandStart kCommand("mailsweep targets");
//   FlagSet flags(kCommand.name(), "[flags] CIDR...", "Prints the targets ...");
//   std::vector<std::string> positional;
//   if (std::optional<int> exit = kCommand.Parse(&flags, argc, argv, &positional)) return *exit;
//   if (positional.empty()) return kCommand.Usage("no targets");
#ifndef MAILSWEEP_ENGINE_CLI_COMMAND_START_H_
#define MAILSWEEP_ENGINE_CLI_COMMAND_START_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "base/flag_set.h"

namespace mailsweep::engine {

class CommandStart {
 public:
  // `name` ("mailsweep probe") must outlive the object; a string literal does.
  explicit constexpr CommandStart(const char* name) : name_(name) {}

  const char* name() const { return name_; }

  // Parses argv[1..argc) into `flags` and `*positional`. nullopt: go on. Otherwise the exit
  // status to return at once: 0 after --help (the help is printed on stdout), 2 after a bad flag
  // (reported).
  std::optional<int> Parse(FlagSet* flags, int argc, const char* const* argv,
                           std::vector<std::string>* positional) const;

  // "NAME: message\n" on stderr.
  void Report(absl::string_view message) const;
  // Report(message), then the exit status of bad usage, 2.
  int Usage(absl::string_view message) const;

 private:
  const char* name_;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_COMMAND_START_H_
