// One table of bad command lines for tests/cli/bad_input/bad_input_runner.cc: the rows of a
// data file (tests/cli/bad_input/*.tsv), each a command line, the exit status it must end with
// and a text its stderr must contain. Also the runner's safety rule: a row that would name a
// target outside 198.18.0.0/15 or 0.0.0.0/8 is refused before anything runs. Single-threaded;
// plain values.
//
// A row: STATUS <TAB> EXPECTED TEXT <TAB> COMMAND LINE, e.g.
//   2	--cooldown: 	mailsweep sweep --cooldown nan 198.18.0.0/24
// The command line is split at spaces; '...' groups (and '' is an empty argument). In every
// argument @T@ becomes the fixture directory and @100K@ a run of 100 KiB of 'x' (the most one
// argument may hold is 128 KiB); the token @LAB@ becomes the two arguments
// "--allow-reserved 198.18.0.0/15". Tokens that are not arguments: <FILE (stdin), >FILE
// (stdout; default /dev/null), %as=MiB (RLIMIT_AS of the child).
#ifndef MAILSWEEP_TESTS_CLI_BAD_INPUT_CASE_TABLE_H_
#define MAILSWEEP_TESTS_CLI_BAD_INPUT_CASE_TABLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailsweep::testing {

struct BadInputCase {
  std::string where;  // "sweep.tsv:12", for messages
  int status = 2;
  std::string expected;           // stderr must contain it (may be empty: status alone)
  std::vector<std::string> argv;  // argv[0] is "mailsweep" or "mailsweep-agg"
  std::string stdin_path = "/dev/null";
  std::string stdout_path = "/dev/null";
  uint64_t address_space_mib = 0;  // RLIMIT_AS for the child; 0: inherited
  // True for `mailsweep sweep|scan|probe`: runs only inside a new, empty network namespace.
  bool needs_empty_network = false;
};

// Parses the rows of one table (blank lines and lines starting with '#' are skipped), with
// @T@ replaced by `fixture_dir`. On a malformed or unsafe row, returns false and sets *error.
bool ParseCaseTable(std::string_view file_name, std::string_view text,
                    const std::string& fixture_dir, std::vector<BadInputCase>* cases,
                    std::string* error);

// The safety rule, on any text that reaches the command (arguments, fixture contents): every
// dotted quad in it (four dot-separated runs of digits, also inside CIDRs and ranges) lies in
// 198.18.0.0/15 or 0.0.0.0/8, or is not an address at all (an octet above 255). Returns the
// first offending quad, or "" when the text is safe.
std::string UnsafeAddress(std::string_view text);

}  // namespace mailsweep::testing

#endif  // MAILSWEEP_TESTS_CLI_BAD_INPUT_CASE_TABLE_H_
