// Transcripts as data files: one probe conversation with a mail server and the record it must
// leave, in the line format described in transcripts/README.md. Each protocol's test file
// registers the files of its folder (transcripts/pop3/, imap/, smtp/) as one Catch2 test case
// each; a case plays the conversation in every byte split (session_harness.h) and checks every
// expectation. Registration runs during static initialisation; cases run on the test thread.
//
// Example (tests/probes/pop3/pop3_dialect_test.cc):
//   const bool kRegistered = RegisterTranscripts("pop3");
#ifndef MAILSWEEP_TESTS_PROBES_TRANSCRIPT_H_
#define MAILSWEEP_TESTS_PROBES_TRANSCRIPT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "probes/session.h"
#include "tests/probes/session_harness.h"

namespace mailsweep::probes::testing {

struct Expectation {
  std::string key;    // "outcome", "flag", "no-flag", a record field, or "<field>-contains"
  std::string value;  // escapes already decoded
  int line = 0;       // in the data file, for the failure message
};

struct Transcript {
  uint16_t port = 0;
  SessionOptions options;
  std::vector<Turn> turns;
  std::vector<Expectation> expectations;
};

// Reads a transcript; a malformed file fails the current test (REQUIRE).
Transcript ReadTranscript(const std::string& path);

// Plays `t` in every split and checks each of its expectations (CHECK).
void CheckTranscript(const Transcript& t);

// Registers every *.txt in <MAILSWEEP_PROBES_TRANSCRIPTS_DIR>/<folder> as a test case named
// "transcript <folder>/<file name without .txt>". Returns true (for a namespace-scope constant).
bool RegisterTranscripts(std::string_view folder);

}  // namespace mailsweep::probes::testing

#endif  // MAILSWEEP_TESTS_PROBES_TRANSCRIPT_H_
