// The input files the bad command lines of tests/cli/bad_input/*.tsv name as @T@/NAME: empty
// files, a directory, lines too long, binary junk, bad CIDR lists, bad probe inputs, geo files,
// checkpoints and record files that are damaged or from the future. Made once per run of
// bad_input_runner in a fresh temporary directory (removed by the caller). Single-threaded.
//
// Every text fixture passes the runner's safety rule (UnsafeAddress(), case_table.h): it names
// no address outside 198.18.0.0/15 and 0.0.0.0/8.
#ifndef MAILSWEEP_TESTS_CLI_BAD_INPUT_FIXTURES_H_
#define MAILSWEEP_TESTS_CLI_BAD_INPUT_FIXTURES_H_

#include <string>

namespace mailsweep::testing {

// Creates the fixtures in `dir` (which exists and is empty); `data_dir` is tests/results/data,
// whose record file is the model of the damaged ones. Returns "" or what failed.
std::string MakeFixtures(const std::string& dir, const std::string& data_dir);

}  // namespace mailsweep::testing

#endif  // MAILSWEEP_TESTS_CLI_BAD_INPUT_FIXTURES_H_
