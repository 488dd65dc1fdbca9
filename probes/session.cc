#include "probes/session.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace mailsweep::probes {
namespace {

using results::ProbeFlag;
using results::ProbeOutcome;
using results::Protocol;

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) !=
        std::toupper(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithNoCase(a, b);
}

// Splits off the first space-separated word of `*rest`.
std::string_view NextWord(std::string_view* rest) {
  size_t b = rest->find_first_not_of(' ');
  if (b == std::string_view::npos) {
    *rest = {};
    return {};
  }
  size_t e = rest->find(' ', b);
  std::string_view word =
      rest->substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
  *rest = e == std::string_view::npos ? std::string_view() : rest->substr(e);
  return word;
}

void AppendUpperWord(std::string* out, std::string_view word) {
  if (!out->empty()) out->push_back(' ');
  for (char c : word)
    out->push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
}

bool ContainsWord(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    if (EqualsNoCase(NextWord(&list), word)) return true;
  }
  return false;
}

// SMTP reply line: three digits, then '-', ' ' or the end of the line.
bool SmtpLineShape(std::string_view line, int* code, bool* last) {
  if (line.size() < 3) return false;
  for (int i = 0; i < 3; ++i)
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return false;
  if (line.size() > 3 && line[3] != '-' && line[3] != ' ') return false;
  *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  *last = line.size() == 3 || line[3] == ' ';
  return true;
}

// POP3 "-ERR [SYS/TEMP] ..." or "-ERR [SYS/PERM] ...": RFC 3206's codes for a failure of the
// server, not of the command.
bool SysResponseCode(std::string_view err_line) {
  std::string_view rest = err_line.substr(std::min<size_t>(4, err_line.size()));
  rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(' ')));
  return StartsWithNoCase(rest, "[SYS") && rest.size() > 4 && (rest[4] == '/' || rest[4] == ']');
}

}  // namespace

Session::Session(results::ProbeRecord* record, const SessionOptions* options)
    : rec_(record), opt_(options), lines_(options->max_line) {
  proto_ =
      rec_->protocol != Protocol::kUnknown ? rec_->protocol : results::ProtocolForPort(rec_->port);
  rec_->protocol = proto_;
  implicit_ = rec_->tls_mode == results::TlsMode::kImplicit;
}

Action Session::Start() {
  if (proto_ == Protocol::kUnknown) return Finish(ProbeOutcome::kNotThisProtocol);
  if (implicit_) {
    state_ = State::kTlsHandshake;
    return {Step::kStartTls};
  }
  return {Step::kWait};
}

Action Session::OnBytes(std::span<const uint8_t> data) {
  if (state_ == State::kDone) return {Step::kDone};
  if (state_ == State::kTlsHandshake) return {Step::kWait};  // caller's bug; TLS owns the bytes
  total_bytes_ += static_cast<uint32_t>(data.size());
  if (total_bytes_ > opt_->max_bytes) return Finish(ProbeOutcome::kProtocolError);
  if (!data.empty()) lines_.Append(data);
  if (state_ == State::kGreeting && !GreetingPrefixPlausible()) {
    return Finish(ProbeOutcome::kNotThisProtocol);
  }
  if (state_ == State::kInjectionWait) {
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
      if (state_ == State::kGreeting) rec_->flags |= results::kBannerTruncated;
      return Finish(ProbeOutcome::kProtocolError);
    }
    bool have_action = false;
    Action a = HandleLine(*line, &have_action);
    if (have_action) return a;
  }
  if (lines_.overflow()) {
    if (state_ == State::kGreeting) {
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
  if (state_ != State::kTlsHandshake) return {Step::kWait};
  in_tls_ = true;
  rec_->flags |= results::kTlsHandshakeOk;
  lines_.Clear();
  reply_bytes_ = 0;
  if (implicit_) {
    state_ = State::kGreeting;
    return {Step::kWait};
  }
  if (opt_->injection_check) {
    state_ = State::kInjectionWait;
    return {Step::kWait, {}, opt_->injection_wait_ms};
  }
  return SendCapsCommand();
}

Action Session::OnTlsFailed() {
  if (state_ == State::kDone) return {Step::kDone};
  return Finish(HandshakeFailedOutcome());
}

Action Session::OnTimeout() {
  switch (state_) {
    case State::kDone:
      return {Step::kDone};
    case State::kGreeting:
      return Finish(in_tls_ ? SuccessOutcome() : ProbeOutcome::kNoGreeting);
    case State::kTlsHandshake:
      if (rec_->tls.failure.empty()) rec_->tls.failure = "timeout";
      return Finish(HandshakeFailedOutcome());
    case State::kInjectionWait:
      lines_.Clear();
      return SendCapsCommand();
    case State::kCaps:
    case State::kHeloReply:
    case State::kStartTlsReply:
      return Finish(in_tls_ ? SuccessOutcome() : ProbeOutcome::kIoTimeout);
  }
  return Finish(ProbeOutcome::kIoTimeout);
}

Action Session::OnClosed() {
  switch (state_) {
    case State::kDone:
      return {Step::kDone};
    case State::kTlsHandshake:
      if (rec_->tls.failure.empty()) rec_->tls.failure = "closed";
      return Finish(HandshakeFailedOutcome());
    default:
      break;
  }
  if (in_tls_) return Finish(SuccessOutcome());
  // Closed inside a reply (partial line, or a multi-line reply not yet complete) is a protocol
  // error; closed between replies is a reset.
  if (lines_.pending() > 0 || reply_started_) return Finish(ProbeOutcome::kProtocolError);
  return Finish(ProbeOutcome::kConnectionReset);
}

// ---- per-protocol line handling ----

Action Session::HandleLine(std::string_view line, bool* have_action) {
  if (state_ == State::kGreeting) AddBannerLine(line);
  switch (proto_) {
    case Protocol::kPop3:
      return Pop3Line(line, have_action);
    case Protocol::kImap:
      return ImapLine(line, have_action);
    case Protocol::kSmtp:
      return SmtpLine(line, have_action);
    case Protocol::kUnknown:
      break;
  }
  *have_action = true;
  return Finish(ProbeOutcome::kNotThisProtocol);
}

Action Session::Pop3Line(std::string_view line, bool* have_action) {
  const bool ok = StartsWithNoCase(line, "+OK");
  const bool err = StartsWithNoCase(line, "-ERR");
  switch (state_) {
    case State::kGreeting:
      *have_action = true;
      if (ok) return AfterGreeting();
      if (err) return Finish(ProbeOutcome::kServiceUnavailable);
      return Finish(ProbeOutcome::kNotThisProtocol);
    case State::kCaps:
      if (!reply_started_) {
        if (ok) {
          reply_started_ = true;
          reply_ok_ = true;
          return {};
        }
        *have_action = true;
        if (!err) return Finish(ProbeOutcome::kProtocolError);
        // -ERR to CAPA is an old server without it (RFC 2449), which cannot advertise STLS
        // either, unless an RFC 3206 [SYS/TEMP] or [SYS/PERM] code says the server itself failed:
        // then nothing is known about STLS.
        if (SysResponseCode(line)) return ServiceRefused();
        return AfterCaps();
      }
      if (line == ".") {
        rec_->flags |= in_tls_ ? results::kCapabilitiesReadTls : results::kCapabilitiesRead;
        *have_action = true;
        return AfterCaps();
      }
      if (line.size() >= 2 && line[0] == '.') line.remove_prefix(1);  // dot-unstuffing
      {
        std::string_view rest = line;
        std::string_view name = NextWord(&rest);
        if (name.empty()) return {};
        AddCapability(name);
        if (EqualsNoCase(name, "SASL")) {
          while (!rest.empty()) {
            std::string_view mech = NextWord(&rest);
            if (!mech.empty()) AddAuthMechanism(mech);
          }
        }
      }
      return {};
    case State::kStartTlsReply:
      *have_action = true;
      if (ok) return StartTlsAccepted();
      if (err) return StartTlsRejected();
      return Finish(ProbeOutcome::kProtocolError);
    default:
      return {};
  }
}

Action Session::ImapLine(std::string_view line, bool* have_action) {
  switch (state_) {
    case State::kGreeting: {
      *have_action = true;
      std::string_view rest = line;
      if (NextWord(&rest) != "*") return Finish(ProbeOutcome::kNotThisProtocol);
      std::string_view status = NextWord(&rest);
      // "[CAPABILITY IMAP4rev1 ...]" response code in the greeting.
      size_t b = rest.find_first_not_of(' ');
      if (b != std::string_view::npos && StartsWithNoCase(rest.substr(b), "[CAPABILITY ")) {
        std::string_view list = rest.substr(b + 12);
        size_t close = list.find(']');
        if (close != std::string_view::npos) {
          ParseImapCapabilities(list.substr(0, close));
          caps_in_greeting_ = true;
          rec_->flags |= in_tls_ ? results::kCapabilitiesReadTls : results::kCapabilitiesRead;
        }
      }
      if (EqualsNoCase(status, "OK")) {
        if (caps_in_greeting_) return AfterCaps();
        return AfterGreeting();
      }
      if (EqualsNoCase(status, "PREAUTH")) return Finish(ProbeOutcome::kPreauth);
      if (EqualsNoCase(status, "BYE")) return Finish(ProbeOutcome::kServiceUnavailable);
      return Finish(ProbeOutcome::kNotThisProtocol);
    }
    case State::kCaps:
    case State::kStartTlsReply: {
      std::string_view rest = line;
      std::string_view first = NextWord(&rest);
      if (first == "*") {
        reply_started_ = true;
        std::string_view kind = NextWord(&rest);
        if (state_ == State::kCaps && EqualsNoCase(kind, "CAPABILITY")) {
          ParseImapCapabilities(rest);
        } else if (EqualsNoCase(kind, "BYE")) {
          // RFC 3501 7.1.5: the server is about to close; a tagged reply that may still come
          // would not carry the conversation on, so there is no use waiting for the close.
          *have_action = true;
          return ServiceRefused();
        }
        return {};
      }
      if (first == "+") return {};  // stray continuation request
      if (first != std::string_view(tag_)) {
        *have_action = true;
        return Finish(ProbeOutcome::kProtocolError);
      }
      std::string_view status = NextWord(&rest);
      const bool ok = EqualsNoCase(status, "OK");
      *have_action = true;
      if (state_ == State::kCaps) {
        if (ok) rec_->flags |= in_tls_ ? results::kCapabilitiesReadTls : results::kCapabilitiesRead;
        return AfterCaps();
      }
      if (ok) return StartTlsAccepted();
      if (EqualsNoCase(status, "NO") || EqualsNoCase(status, "BAD")) return StartTlsRejected();
      return Finish(ProbeOutcome::kProtocolError);
    }
    default:
      return {};
  }
}

Action Session::SmtpLine(std::string_view line, bool* have_action) {
  int code = 0;
  bool last = false;
  if (!SmtpLineShape(line, &code, &last)) {
    *have_action = true;
    return Finish(state_ == State::kGreeting ? ProbeOutcome::kNotThisProtocol
                                             : ProbeOutcome::kProtocolError);
  }
  switch (state_) {
    case State::kGreeting:
      reply_started_ = !last;
      if (!last) return {};
      *have_action = true;
      if (code == 220) return AfterGreeting();
      if (code >= 400 && code < 600) return Finish(ProbeOutcome::kServiceUnavailable);
      return Finish(ProbeOutcome::kNotThisProtocol);
    case State::kCaps: {
      if (!reply_started_) {
        reply_started_ = true;
        reply_ok_ = code == 250;
        // The first line is "250-host greeting"; extensions follow.
      } else if (reply_ok_ && code == 250) {
        std::string_view rest = line.substr(std::min<size_t>(4, line.size()));
        std::string_view keyword = NextWord(&rest);
        if (!keyword.empty()) {
          AddCapability(keyword);
          // "AUTH PLAIN LOGIN" (also the old "AUTH=LOGIN" form).
          if (EqualsNoCase(keyword, "AUTH") || StartsWithNoCase(keyword, "AUTH=")) {
            if (keyword.size() > 5) AddAuthMechanism(keyword.substr(5));
            while (!rest.empty()) {
              std::string_view mech = NextWord(&rest);
              if (!mech.empty()) AddAuthMechanism(mech);
            }
          }
        }
      }
      if (!last) return {};
      *have_action = true;
      return AfterEhlo(code);
    }
    case State::kHeloReply:
      reply_started_ = !last;
      if (!last) return {};
      *have_action = true;
      // 250: a server without extensions, so without STARTTLS. A refused HELO leaves that open.
      if (code == 250) return AfterCaps();
      if (code >= 400 && code < 600) return ServiceRefused();
      return Finish(ProbeOutcome::kProtocolError);
    case State::kStartTlsReply:
      reply_started_ = !last;
      if (!last) return {};
      *have_action = true;
      if (code == 220) return StartTlsAccepted();
      // 421 answers any command when the server closes the channel (RFC 5321 3.8): the server is
      // going away, it did not judge STARTTLS. Other errors (454 "TLS not available", 502) do.
      if (code == 421) return ServiceRefused();
      return StartTlsRejected();
    default:
      return {};
  }
}

// ---- transitions ----

Action Session::AfterGreeting() { return SendCapsCommand(); }

Action Session::SendCapsCommand() {
  state_ = State::kCaps;
  reply_started_ = false;
  reply_ok_ = false;
  reply_bytes_ = 0;
  switch (proto_) {
    case Protocol::kPop3:
      return Send("CAPA\r\n");
    case Protocol::kImap:
      NextTag();
      out_ = tag_;
      out_ += " CAPABILITY\r\n";
      return Send(out_);
    case Protocol::kSmtp:
      out_ = "EHLO ";
      out_ += opt_->ehlo_name;
      out_ += "\r\n";
      return Send(out_);
    case Protocol::kUnknown:
      break;
  }
  return Finish(ProbeOutcome::kNotThisProtocol);
}

// `code` is the reply's last line; capabilities were taken only from a reply that began with 250.
Action Session::AfterEhlo(int code) {
  const bool ok = code == 250 && reply_ok_;
  if (ok) rec_->flags |= in_tls_ ? results::kCapabilitiesReadTls : results::kCapabilitiesRead;
  if (in_tls_) return AfterCaps();  // the TLS outcome is known; EHLO only adds facts
  if (ok) return AfterCaps();
  // "Command not recognised" / "not implemented": a pre-ESMTP server, which RFC 5321 3.2 says
  // a client should greet with HELO instead.
  if (code == 500 || code == 502) return SendHelo();
  // Every other 4xx/5xx refuses us before any extension was listed: 421 (closing, Postfix's
  // "timeout exceeded"), 450/451 (busy, greylisting), 501 (our EHLO name refused; HELO would get
  // the same), 550/554 (policy). Whether the server offers STARTTLS stays unknown, so none of
  // them may count as plaintext_only (which feeds "without TLS"); 4xx and 5xx share the outcome
  // because both refuse service, and the reply code says no more about TLS than the outcome.
  if (code >= 400 && code < 600) return ServiceRefused();
  // 2xx/3xx other than a whole 250 reply answer no EHLO.
  return Finish(ProbeOutcome::kProtocolError);
}

Action Session::AfterCaps() {
  if (in_tls_) return Finish(SuccessOutcome());
  // Facts before TLS.
  const std::string& caps = rec_->capabilities;
  const std::string& mechs = rec_->auth_mechanisms;
  const bool sasl_plain = ContainsWord(mechs, "PLAIN") || ContainsWord(mechs, "LOGIN");
  bool advertised = false;
  switch (proto_) {
    case Protocol::kPop3:
      advertised = ContainsWord(caps, "STLS");
      if (ContainsWord(caps, "USER") || sasl_plain) rec_->flags |= results::kPlaintextLoginOffered;
      break;
    case Protocol::kImap:
      advertised = ContainsWord(caps, "STARTTLS");
      if (ContainsWord(caps, "LOGINDISABLED")) {
        rec_->flags |= results::kLoginDisabled;
      } else if (rec_->flags & results::kCapabilitiesRead) {
        rec_->flags |= results::kPlaintextLoginOffered;
      }
      break;
    case Protocol::kSmtp:
      advertised = ContainsWord(caps, "STARTTLS");
      if (sasl_plain) rec_->flags |= results::kPlaintextLoginOffered;
      break;
    case Protocol::kUnknown:
      break;
  }
  if (advertised) rec_->flags |= results::kStartTlsAdvertised;
  if (implicit_) return Finish(SuccessOutcome());  // unreachable: implicit caps are in TLS
  if (!advertised && !opt_->starttls_blind) return Finish(ProbeOutcome::kPlaintextOnly);
  if (!advertised) rec_->flags |= results::kStartTlsTriedBlind;
  return SendStartTls();
}

Action Session::SendHelo() {
  state_ = State::kHeloReply;
  reply_started_ = false;
  reply_ok_ = false;
  reply_bytes_ = 0;
  rec_->flags |= results::kHeloFallback;
  out_ = "HELO ";
  out_ += opt_->ehlo_name;
  out_ += "\r\n";
  return Send(out_);
}

Action Session::SendStartTls() {
  state_ = State::kStartTlsReply;
  reply_started_ = false;
  reply_bytes_ = 0;
  const char* injected = "";
  switch (proto_) {
    case Protocol::kPop3:
      out_ = "STLS\r\n";
      injected = "NOOP\r\n";
      break;
    case Protocol::kImap:
      NextTag();
      out_ = tag_;
      out_ += " STARTTLS\r\n";
      injected = "z999 NOOP\r\n";
      break;
    default:
      out_ = "STARTTLS\r\n";
      injected = "NOOP\r\n";
      break;
  }
  if (opt_->injection_check) {
    out_ += injected;
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
  state_ = State::kTlsHandshake;
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
  const bool polite = state_ != State::kTlsHandshake && state_ != State::kGreeting &&
                      outcome != ProbeOutcome::kProtocolError &&
                      outcome != ProbeOutcome::kConnectionReset;
  state_ = State::kDone;
  lines_.Clear();
  lines_.Shrink();
  return {Step::kDone, polite ? Quit() : std::string_view()};
}

Action Session::Send(std::string_view command) { return {Step::kSend, command}; }

std::string_view Session::Quit() const {
  switch (proto_) {
    case Protocol::kImap:
      return "z000 LOGOUT\r\n";
    case Protocol::kPop3:
    case Protocol::kSmtp:
      return "QUIT\r\n";
    case Protocol::kUnknown:
      break;
  }
  return {};
}

// ---- helpers ----

bool Session::GreetingPrefixPlausible() const {
  std::string_view head = lines_.pending_bytes();
  auto prefix_of = [&](std::string_view want) {
    size_t n = std::min(head.size(), want.size());
    return StartsWithNoCase(head.substr(0, n), want.substr(0, n));
  };
  if (head.empty()) return true;
  switch (proto_) {
    case Protocol::kPop3:
      return prefix_of("+OK") || prefix_of("-ERR");
    case Protocol::kImap:
      return prefix_of("* ");
    case Protocol::kSmtp:
      for (size_t i = 0; i < std::min<size_t>(3, head.size()); ++i)
        if (!std::isdigit(static_cast<unsigned char>(head[i]))) return false;
      return true;
    case Protocol::kUnknown:
      break;
  }
  return false;
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

void Session::ParseImapCapabilities(std::string_view list) {
  while (!list.empty()) {
    std::string_view cap = NextWord(&list);
    if (cap.empty()) continue;
    if (ContainsWord(in_tls_ ? rec_->capabilities_tls : rec_->capabilities, cap)) continue;
    AddCapability(cap);
    if (StartsWithNoCase(cap, "AUTH=")) AddAuthMechanism(cap.substr(5));
  }
}

void Session::NextTag() {
  ++tag_number_;
  snprintf(tag_, sizeof(tag_), "a%03u", static_cast<unsigned>(tag_number_ % 1000));
}

results::ProbeOutcome Session::SuccessOutcome() const {
  return implicit_ ? ProbeOutcome::kImplicitTlsOk : ProbeOutcome::kStartTlsOk;
}

results::ProbeOutcome Session::HandshakeFailedOutcome() const {
  return implicit_ ? ProbeOutcome::kImplicitTlsFailed : ProbeOutcome::kStartTlsHandshakeFailed;
}

}  // namespace mailsweep::probes
