#include "probes/session.h"

#include <algorithm>
#include <cstdio>

#include "probes/dialect.h"
#include "probes/dialect_registry.h"
#include "probes/words.h"

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;
using results::Protocol;

}  // namespace

Session::Session(results::ProbeRecord* record, const SessionOptions* options)
    : rec_(record), opt_(options), lines_(options->max_line) {
  if (rec_->protocol == Protocol::kUnknown) rec_->protocol = results::ProtocolForPort(rec_->port);
  dialect_ = DialectFor(rec_->protocol);
  implicit_ = rec_->tls_mode == results::TlsMode::kImplicit;
}

Action Session::Start() {
  if (dialect_ == nullptr) return Finish(ProbeOutcome::kNotThisProtocol);
  if (implicit_) {
    state_ = Phase::kTlsHandshake;
    return {Step::kStartTls};
  }
  return {Step::kWait};
}

Action Session::OnBytes(std::span<const uint8_t> data) {
  if (state_ == Phase::kDone) return {Step::kDone};
  if (state_ == Phase::kTlsHandshake) return {Step::kWait};  // caller's bug; TLS owns the bytes
  total_bytes_ += static_cast<uint32_t>(data.size());
  if (total_bytes_ > opt_->max_bytes) return Finish(ProbeOutcome::kProtocolError);
  if (!data.empty()) lines_.Append(data);
  if (state_ == Phase::kGreeting && !GreetingPrefixPlausible()) {
    return Finish(ProbeOutcome::kNotThisProtocol);
  }
  if (state_ == Phase::kInjectionWait) {
    // Anything the server says before we ask is the answer to the injected command.
    if (lines_.NextLine() || lines_.overflow()) {
      rec_->flags |= results::kInjectionVulnerable;
      lines_.Clear();
      return SendCapsCommand();
    }
    return {Step::kWait, {}, opt_->injection_wait_ms};
  }
  while (auto line = lines_.NextLine()) {
    reply_bytes_ += static_cast<uint32_t>(line->size() + 2);
    if (reply_bytes_ > opt_->max_reply) {
      if (state_ == Phase::kGreeting) rec_->flags |= results::kBannerTruncated;
      return Finish(ProbeOutcome::kProtocolError);
    }
    bool have_action = false;
    Action a = HandleLine(*line, &have_action);
    if (have_action) return a;
  }
  if (lines_.overflow()) {
    if (state_ == Phase::kGreeting) {
      // A greeting that never ends still shows who answered: keep its first bytes, as many as the
      // line cap let in (the same bytes however the greeting was split).
      AddBannerBytes(lines_.pending_bytes().substr(0, opt_->max_line));
      rec_->flags |= results::kBannerTruncated;
    }
    return Finish(ProbeOutcome::kProtocolError);
  }
  lines_.Shrink();
  return {Step::kWait};
}

Action Session::OnTlsEstablished() {
  if (state_ != Phase::kTlsHandshake) return {Step::kWait};
  in_tls_ = true;
  rec_->flags |= results::kTlsHandshakeOk;
  lines_.Clear();
  reply_bytes_ = 0;
  if (implicit_) {
    state_ = Phase::kGreeting;
    return {Step::kWait};
  }
  if (opt_->injection_check) {
    state_ = Phase::kInjectionWait;
    return {Step::kWait, {}, opt_->injection_wait_ms};
  }
  return SendCapsCommand();
}

Action Session::OnTlsFailed() {
  if (state_ == Phase::kDone) return {Step::kDone};
  return Finish(HandshakeFailedOutcome());
}

Action Session::OnTimeout() {
  switch (state_) {
    case Phase::kDone:
      return {Step::kDone};
    case Phase::kGreeting:
      return Finish(in_tls_ ? SuccessOutcome() : ProbeOutcome::kNoGreeting);
    case Phase::kTlsHandshake:
      if (rec_->tls.failure.empty()) rec_->tls.failure = "timeout";
      return Finish(HandshakeFailedOutcome());
    case Phase::kInjectionWait:
      lines_.Clear();
      return SendCapsCommand();
    case Phase::kCaps:
    case Phase::kHeloReply:
    case Phase::kStartTlsReply:
      return Finish(in_tls_ ? SuccessOutcome() : ProbeOutcome::kIoTimeout);
  }
  return Finish(ProbeOutcome::kIoTimeout);
}

Action Session::OnClosed() {
  switch (state_) {
    case Phase::kDone:
      return {Step::kDone};
    case Phase::kTlsHandshake:
      if (rec_->tls.failure.empty()) rec_->tls.failure = "closed";
      return Finish(HandshakeFailedOutcome());
    default:
      break;
  }
  if (in_tls_) return Finish(SuccessOutcome());
  // Closed inside a reply (partial line, or a multi-line reply not yet complete) is a protocol
  // error; closed between replies is a reset.
  if (lines_.pending() > 0 || reply_.started) return Finish(ProbeOutcome::kProtocolError);
  return Finish(ProbeOutcome::kConnectionReset);
}

// ---- lines: the dialect reads them ----

Action Session::HandleLine(std::string_view line, bool* have_action) {
  if (state_ == Phase::kGreeting) AddBannerLine(line);
  return dialect_->OnLine(*this, line, have_action);
}

// ---- transitions ----

Action Session::AfterGreeting() { return SendCapsCommand(); }

Action Session::SendCapsCommand() {
  BeginReply(Phase::kCaps);
  return Send(dialect_->CapsCommand(*this));
}

Action Session::SendCommand(Phase reply_phase, std::string_view command) {
  BeginReply(reply_phase);
  return Send(command);
}

void Session::BeginReply(Phase phase) {
  state_ = phase;
  reply_ = {};
  reply_bytes_ = 0;
}

void Session::NoteCapabilitiesRead() {
  rec_->flags |= in_tls_ ? results::kCapabilitiesReadTls : results::kCapabilitiesRead;
}

Action Session::AfterCaps() {
  if (in_tls_) return Finish(SuccessOutcome());
  // Facts before TLS.
  const bool advertised = dialect_->ReadCapabilities(rec_);
  if (advertised) rec_->flags |= results::kStartTlsAdvertised;
  if (implicit_) return Finish(SuccessOutcome());  // unreachable: implicit caps are in TLS
  if (!advertised && !opt_->starttls_blind) return Finish(ProbeOutcome::kPlaintextOnly);
  if (!advertised) rec_->flags |= results::kStartTlsTriedBlind;
  return SendStartTls();
}

Action Session::SendStartTls() {
  BeginReply(Phase::kStartTlsReply);
  const std::string_view command = dialect_->StartTlsCommand(*this);
  if (command.data() != out_.data()) out_.assign(command);
  if (opt_->injection_check) {
    out_ += dialect_->InjectedCommand();
    rec_->flags |= results::kInjectionTested;
  }
  return Send(out_);
}

Action Session::StartTlsAccepted() {
  rec_->flags |= results::kStartTlsAccepted;
  if (lines_.pending() > 0) {
    rec_->flags |= results::kPlaintextLeftover;
  }
  lines_.Clear();
  state_ = Phase::kTlsHandshake;
  return {Step::kStartTls};
}

Action Session::StartTlsRejected() {
  if (rec_->flags & results::kStartTlsAdvertised) return Finish(ProbeOutcome::kStartTlsRefused);
  return Finish(ProbeOutcome::kPlaintextOnly);  // blind try refused: the server told the truth
}

// The server refused to go on. Before TLS this is all the probe learnt; once TLS is up the
// handshake already answered the question, as when the server times out or closes there.
Action Session::ServiceRefused() {
  return Finish(in_tls_ ? SuccessOutcome() : ProbeOutcome::kServiceUnavailable);
}

Action Session::Finish(ProbeOutcome outcome) {
  rec_->outcome = outcome;
  const bool polite = state_ != Phase::kTlsHandshake && state_ != Phase::kGreeting &&
                      outcome != ProbeOutcome::kProtocolError &&
                      outcome != ProbeOutcome::kConnectionReset;
  state_ = Phase::kDone;
  lines_.Clear();
  lines_.Shrink();
  return {Step::kDone, polite ? Quit() : std::string_view()};
}

Action Session::Send(std::string_view command) { return {Step::kSend, command}; }

std::string_view Session::Quit() const { return dialect_ != nullptr ? dialect_->Quit() : ""; }

// ---- helpers ----

bool Session::GreetingPrefixPlausible() const {
  std::string_view head = lines_.pending_bytes();
  if (head.empty()) return true;
  return dialect_ != nullptr && dialect_->GreetingPlausible(head);
}

// The banner is always a prefix of the greeting's lines, each ended by CR LF.
void Session::AddBannerLine(std::string_view line) {
  AddBannerBytes(line);
  AddBannerBytes("\r\n");
}

void Session::AddBannerBytes(std::string_view bytes) {
  std::string& b = rec_->banner;
  const size_t room = opt_->banner_cap - std::min<size_t>(b.size(), opt_->banner_cap);
  if (bytes.size() > room) rec_->flags |= results::kBannerTruncated;
  b.append(bytes.substr(0, room));
}

void Session::AddCapability(std::string_view token) {
  std::string& caps = in_tls_ ? rec_->capabilities_tls : rec_->capabilities;
  if (caps.size() + token.size() + 1 > opt_->banner_cap) return;
  AppendUpperWord(&caps, token);
}

void Session::AddAuthMechanism(std::string_view mech) {
  std::string& mechs = in_tls_ ? rec_->auth_mechanisms_tls : rec_->auth_mechanisms;
  if (mechs.size() + mech.size() + 1 > opt_->banner_cap) return;
  if (ContainsWord(mechs, mech)) return;
  AppendUpperWord(&mechs, mech);
}

std::string_view Session::NextTag() {
  ++tag_number_;
  snprintf(tag_, sizeof(tag_), "a%03u", static_cast<unsigned>(tag_number_ % 1000));
  return tag_;
}

results::ProbeOutcome Session::SuccessOutcome() const {
  return implicit_ ? ProbeOutcome::kImplicitTlsOk : ProbeOutcome::kStartTlsOk;
}

results::ProbeOutcome Session::HandshakeFailedOutcome() const {
  return implicit_ ? ProbeOutcome::kImplicitTlsFailed : ProbeOutcome::kStartTlsHandshakeFailed;
}

}  // namespace mailsweep::probes
