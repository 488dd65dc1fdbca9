// The transcript harness of the probes tests: plays one conversation (what the client must send,
// what the server answers, "<TLS>" for the handshake) against a probes::Session, feeding each
// answer whole and in odd splits, and returns the record and the last action. Used by
// session_test.cc, the per-protocol tests (pop3/, imap/, smtp/) and the data-file transcripts
// (transcript.h). Test thread only; Catch2 REQUIREs report a conversation that goes astray.
#ifndef MAILSWEEP_TESTS_PROBES_SESSION_HARNESS_H_
#define MAILSWEEP_TESTS_PROBES_SESSION_HARNESS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "probes/session.h"
#include "results/format/records.h"

namespace mailsweep::probes::testing {

struct Turn {
  std::string client;  // what the session must send first ("" for the greeting, "<TLS>",
                       // "<TLS-FAIL>")
  std::string server;  // what the server answers
};

struct Run {
  results::ProbeRecord rec;
  Action last;
  std::string last_bytes;
};

// Chunk size patterns: 0 = everything at once.
extern const std::vector<std::vector<size_t>> kSplits;

// Plays `turns` on `port` (protocol and TLS mode from the port), feeding the server's answers
// in chunks of `split`; the conversation must end in Step::kDone.
Run Play(uint16_t port, const std::vector<Turn>& turns, const std::vector<size_t>& split,
         SessionOptions opt = {});

// Runs the transcript under every split and checks the outcomes agree; returns the first.
Run PlayAll(uint16_t port, const std::vector<Turn>& turns, SessionOptions opt = {});

// A session on `port` (TLS mode from the port) driven call by call, for the cases a transcript
// cannot express: timeouts, closes, the injection window. The session borrows `rec` and `opt`,
// so a Stepped neither copies nor moves. Example:
//   Stepped t(110);
//   auto& [rec, opt, s] = t;
//   s.Start(); ... CHECK(rec.outcome == ...);
struct Stepped {
  explicit Stepped(uint16_t port, const SessionOptions& options = {});
  Stepped(const Stepped&) = delete;
  Stepped& operator=(const Stepped&) = delete;
  results::ProbeRecord rec;
  SessionOptions opt;
  Session session;
};

inline bool Has(const results::ProbeRecord& r, uint32_t flag) { return (r.flags & flag) != 0; }

}  // namespace mailsweep::probes::testing

#endif  // MAILSWEEP_TESTS_PROBES_SESSION_HARNESS_H_
