// A command line parser for one (sub)command: typed flags bound to fields of a config struct,
// positional arguments, and a --help text that documents every flag. Used by every mailsweep
// command instead of a global flag registry (no global mutable state). Single-threaded.
//
// Example:
//   SweepOptions opt;
//   FlagSet flags("mailsweep sweep", "[flags] CIDR...", "Finds open ports by SYN scanning.");
//   flags.String("-o,--output", "FILE", "where records go", &opt.output);
//   flags.Uint64("-r,--rate", "PPS", "packets per second (0: unlimited)", &opt.rate);
//   std::vector<std::string> args;
//   absl::Status s = flags.Parse(argc, argv, &args);
//   if (flags.help_requested()) { fputs(flags.Help().c_str(), stdout); return 0; }
#ifndef MAILSWEEP_BASE_FLAG_SET_H_
#define MAILSWEEP_BASE_FLAG_SET_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace mailsweep {

class FlagSet {
 public:
  // Parses the text of one value; returns kInvalidArgument with a message naming what is wrong.
  using ValueParser = std::function<absl::Status(std::string_view value)>;

  FlagSet(std::string command, std::string synopsis, std::string description);

  // `names` is a comma-separated list such as "-p,--ports". The current value of `*out` is the
  // default shown in --help. Pointers must outlive Parse().
  void Bool(std::string_view names, std::string help, bool* out);
  void String(std::string_view names, std::string value_name, std::string help, std::string* out);
  // Repeatable: every occurrence appends.
  void StringList(std::string_view names, std::string value_name, std::string help,
                  std::vector<std::string>* out);
  void Uint64(std::string_view names, std::string value_name, std::string help, uint64_t* out);
  void Uint32(std::string_view names, std::string value_name, std::string help, uint32_t* out);
  // A finite number in [min, max] (the range is named in the error); NaN and infinities are
  // refused. The defaults fit durations in seconds, what every such flag of ours is.
  void Double(std::string_view names, std::string value_name, std::string help, double* out,
              double min = 0, double max = 1e6);
  // A flag whose value needs its own parsing (sizes, port lists, ...). `default_text` is shown.
  void Custom(std::string_view names, std::string value_name, std::string help,
              std::string default_text, ValueParser parser);

  // Free text appended to --help (examples, exit codes).
  void Epilog(std::string text) { epilog_ = std::move(text); }

  // Parses argv[1..argc). Positional arguments (and all after "--") go to `positional`.
  // Errors name the flag: "--rate: 'abc' is not a number".
  absl::Status Parse(int argc, const char* const* argv, std::vector<std::string>* positional);

  bool help_requested() const { return help_requested_; }
  // True when the flag (any of its names) appeared on the command line.
  bool WasSet(std::string_view name) const;
  std::string Help() const;

 private:
  struct Flag {
    std::vector<std::string> names;
    std::string value_name;  // empty for booleans
    std::string help;
    std::string default_text;
    ValueParser parse;  // for booleans called with "true"
    bool seen = false;
  };

  void Add(std::string_view names, std::string value_name, std::string help,
           std::string default_text, ValueParser parser);
  Flag* Find(std::string_view name);

  std::string command_;
  std::string synopsis_;
  std::string description_;
  std::string epilog_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_FLAG_SET_H_
