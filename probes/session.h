// The sans-I/O conversation with one mail server: POP3 (110/995), IMAP (143/993) or SMTP
// (25/587/465), with STARTTLS/STLS or implicit TLS. Bytes in, actions out: the caller (the prober
// pool's connection, or a transcript test) owns the socket and the TLS layer, feeds the plaintext
// it receives and performs what the session asks. The session fills a caller-owned ProbeRecord
// (banner, capabilities, flags, outcome); the caller adds timings and TLS facts. What differs
// between the protocols (how lines read, which commands to send) is the Dialect's
// (dialect.h; pop3/, imap/, smtp/); the session is the machine they share.
//
// Flow (STARTTLS ports): greeting -> CAPA/CAPABILITY/EHLO (SMTP: HELO when EHLO draws 500/502,
// flag kHeloFallback) -> STLS/STARTTLS when advertised (or blindly, opt-in) -> kStartTls ->
// [injection wait] -> capabilities again inside TLS -> done. Implicit ports: kStartTls first,
// then greeting and capabilities inside TLS. Nothing is ever pipelined after STARTTLS except the
// opt-in injection probe; plaintext that arrives after the STARTTLS reply is recorded
// (kPlaintextLeftover) and dropped, never fed to TLS.
//
// Replies are read whole and by their status: a server that refuses service before TLS (POP3
// -ERR greeting or [SYS/...] to CAPA, IMAP BYE, SMTP 4xx/5xx greeting, 421 to any command,
// 4xx/5xx to HELO or to EHLO but 500/502) ends in kServiceUnavailable, never in a plaintext
// outcome: the TLS facts were not learnt. After STARTTLS's handshake, or an implicit port's
// positive greeting inside TLS, they were: a later refusal keeps the TLS outcome, as a timeout
// or close there does.
//
// One owner thread; no allocation beyond the line buffer, the record's strings and one command.
//
// Example:
//   results::ProbeRecord rec; rec.port = 143; rec.protocol = kImap; rec.tls_mode = kStartTls;
//   Session s(&rec, &options);
//   Action a = s.Start();                  // kWait: the greeting comes first
//   a = s.OnBytes(received);               // kSend "a001 CAPABILITY\r\n" ...
//   ... kStartTls: run the handshake, then s.OnTlsEstablished() or s.OnTlsFailed() ...
//   until a.step == Step::kDone (a.bytes: a polite QUIT/LOGOUT to send before closing).
#ifndef MAILSWEEP_PROBES_SESSION_H_
#define MAILSWEEP_PROBES_SESSION_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "probes/conversation.h"
#include "probes/line_buffer.h"
#include "results/format/records.h"

namespace mailsweep::probes {

class Dialect;

struct SessionOptions {
  std::string ehlo_name = "mailsweep.invalid";  // SMTP EHLO argument
  bool starttls_blind = false;                  // send STARTTLS/STLS even when not advertised
  bool injection_check = false;                 // STARTTLS + a second command in one segment
  uint32_t injection_wait_ms = 1000;  // how long to wait for an answer to the injected command
  uint32_t max_line = 4096;           // longest line accepted
  uint32_t max_reply = 32 * 1024;     // bytes of one (multi-line) reply
  uint32_t max_bytes = 128 * 1024;    // plaintext bytes per target
  uint32_t banner_cap = 8 * 1024;     // bytes of greeting stored in the record
};

// Session implements Conversation privately: only its dialect, handed `*this`, calls the
// transitions.
class Session final : private Conversation {
 public:
  // `record` (protocol, tls_mode, port set) and `options` are borrowed and must outlive the
  // session. Protocol kUnknown is treated by port as results::ProtocolForPort() says.
  Session(results::ProbeRecord* record, const SessionOptions* options);

  Action Start();
  // Plaintext from the server (decrypted when inside TLS). After kSend, the caller may call this
  // again with an empty span: a reply might already be buffered.
  Action OnBytes(std::span<const uint8_t> data);
  Action OnBytes(std::string_view data) {
    return OnBytes(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  Action OnTlsEstablished();
  Action OnTlsFailed();  // the caller fills record->tls.failure
  // The current read deadline (or the target deadline) expired.
  Action OnTimeout();
  // EOF or RST from the server.
  Action OnClosed();

  bool done() const { return state_ == Phase::kDone; }
  bool in_tls() const override { return in_tls_; }
  // True while the handshake runs: received bytes belong to TLS, not to the session.
  bool awaiting_tls() const { return state_ == Phase::kTlsHandshake; }

 private:
  // ---- Conversation, for the dialect ----
  Phase phase() const override { return state_; }
  Reply& reply() override { return reply_; }
  results::ProbeRecord& record() override { return *rec_; }
  std::string_view ehlo_name() const override { return opt_->ehlo_name; }
  std::string_view tag() const override { return tag_; }
  std::string_view NextTag() override;  // "a001", "a002", ...
  std::string& command_buffer() override { return out_; }
  void AddCapability(std::string_view token) override;
  void AddAuthMechanism(std::string_view mech) override;
  void NoteCapabilitiesRead() override;
  Action AfterGreeting() override;
  Action AfterCaps() override;
  Action SendCommand(Phase reply_phase, std::string_view command) override;
  Action StartTlsAccepted() override;
  Action StartTlsRejected() override;
  Action ServiceRefused() override;
  Action Finish(results::ProbeOutcome outcome) override;

  Action HandleLine(std::string_view line, bool* have_action);
  Action SendCapsCommand();
  Action SendStartTls();
  void BeginReply(Phase phase);  // a command was sent: its reply is read from its first line
  Action Send(std::string_view command);

  bool GreetingPrefixPlausible() const;
  void AddBannerLine(std::string_view line);
  void AddBannerBytes(std::string_view bytes);
  results::ProbeOutcome SuccessOutcome() const;
  results::ProbeOutcome HandshakeFailedOutcome() const;
  std::string_view Quit() const;

  results::ProbeRecord* rec_;
  const SessionOptions* opt_;
  const Dialect* dialect_;  // nullptr: the port names no protocol
  bool implicit_;
  Phase state_ = Phase::kGreeting;
  bool in_tls_ = false;
  Reply reply_;
  uint32_t reply_bytes_ = 0;
  uint32_t total_bytes_ = 0;
  uint16_t tag_number_ = 0;
  char tag_[8] = {};
  std::string out_;  // the command being sent
  LineBuffer lines_;
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_SESSION_H_
