// What a Dialect (dialect.h) may see of and do to the conversation it reads lines for: the phase,
// the reply being read, the record's facts, and the shared machine's transitions (greeting read,
// capabilities read, STARTTLS accepted or refused, finished). The Session (session.h) implements
// it and hands itself to its dialect with each line; the dialects never see the Session, so the
// protocol folders depend on this header only. Step and Action, the session's answers to its
// caller, live here because the transitions return them.
//
// Thread and ownership: the Session's owner thread only, during a call into the dialect; the
// references and views a Conversation returns are valid until that call returns.
#ifndef MAILSWEEP_PROBES_CONVERSATION_H_
#define MAILSWEEP_PROBES_CONVERSATION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "results/format/records.h"

namespace mailsweep::probes {

enum class Step : uint8_t {
  kWait,      // wait for more bytes (wait_ms != 0: use that read deadline instead of the default)
  kSend,      // send `bytes`, then wait for the reply
  kStartTls,  // begin the TLS handshake; then OnTlsEstablished()/OnTlsFailed()
  kDone,      // the record is complete; send `bytes` (may be empty) and close
};

struct Action {
  Step step = Step::kWait;
  std::string_view bytes;  // valid until the next call into the session
  uint32_t wait_ms = 0;
};

// Where the conversation is. Dialects read lines in kGreeting, kCaps, kHeloReply (SMTP) and
// kStartTlsReply; the other phases belong to the shared machine.
enum class Phase : uint8_t {
  kGreeting,
  kCaps,
  kHeloReply,  // SMTP: HELO sent after EHLO drew 500/502
  kStartTlsReply,
  kTlsHandshake,
  kInjectionWait,
  kDone,
};

// The reply being read, from its first line on: reset whenever a command is sent.
struct Reply {
  bool started = false;  // a multi-line reply has begun
  bool ok = false;       // ... with a positive first line
};

class Conversation {
 public:
  // ---- what the dialect reads ----
  virtual Phase phase() const = 0;
  virtual bool in_tls() const = 0;
  virtual Reply& reply() = 0;
  // The record being filled (the dialect reads capabilities and sets protocol flags).
  virtual results::ProbeRecord& record() = 0;
  virtual std::string_view ehlo_name() const = 0;  // SMTP's EHLO/HELO argument
  // IMAP tags: the current one ("a001", ...), and the next one, made current.
  virtual std::string_view tag() const = 0;
  virtual std::string_view NextTag() = 0;
  // The buffer a command is built in; the returned view of a command built there stays valid
  // until the command is sent.
  virtual std::string& command_buffer() = 0;

  // ---- facts, into the plaintext or TLS fields as in_tls() says; bounded by the banner cap ----
  virtual void AddCapability(std::string_view token) = 0;
  virtual void AddAuthMechanism(std::string_view mech) = 0;  // once each
  virtual void NoteCapabilitiesRead() = 0;                   // a whole positive capability reply

  // ---- the shared machine's transitions; each returns the session's next action ----
  virtual Action AfterGreeting() = 0;  // a positive greeting: ask for capabilities
  virtual Action AfterCaps() = 0;      // capabilities known: STARTTLS, or done
  virtual Action SendCommand(Phase reply_phase, std::string_view command) = 0;
  virtual Action StartTlsAccepted() = 0;
  virtual Action StartTlsRejected() = 0;
  virtual Action ServiceRefused() = 0;  // the server refused to go on
  virtual Action Finish(results::ProbeOutcome outcome) = 0;

 protected:
  ~Conversation() = default;  // never owned or deleted through this interface
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_CONVERSATION_H_
