#include "probes/smtp/smtp_dialect.h"

#include <algorithm>
#include <cctype>

#include "probes/session.h"
#include "probes/words.h"

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;

// A reply line: three digits, then '-', ' ' or the end of the line.
bool SmtpLineShape(std::string_view line, int* code, bool* last) {
  if (line.size() < 3) return false;
  for (int i = 0; i < 3; ++i)
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return false;
  if (line.size() > 3 && line[3] != '-' && line[3] != ' ') return false;
  *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  *last = line.size() == 3 || line[3] == ' ';
  return true;
}

}  // namespace

bool SmtpDialect::GreetingPlausible(std::string_view head) const {
  for (size_t i = 0; i < std::min<size_t>(3, head.size()); ++i)
    if (!std::isdigit(static_cast<unsigned char>(head[i]))) return false;
  return true;
}

Action SmtpDialect::OnLine(Session& s, std::string_view line, bool* have_action) const {
  int code = 0;
  bool last = false;
  if (!SmtpLineShape(line, &code, &last)) {
    *have_action = true;
    return s.Finish(s.state_ == Session::State::kGreeting ? ProbeOutcome::kNotThisProtocol
                                                          : ProbeOutcome::kProtocolError);
  }
  switch (s.state_) {
    case Session::State::kGreeting:
      s.reply_started_ = !last;
      if (!last) return {};
      *have_action = true;
      if (code == 220) return s.AfterGreeting();
      if (code >= 400 && code < 600) return s.Finish(ProbeOutcome::kServiceUnavailable);
      return s.Finish(ProbeOutcome::kNotThisProtocol);
    case Session::State::kCaps: {
      if (!s.reply_started_) {
        s.reply_started_ = true;
        s.reply_ok_ = code == 250;
        // The first line is "250-host greeting"; extensions follow.
      } else if (s.reply_ok_ && code == 250) {
        std::string_view rest = line.substr(std::min<size_t>(4, line.size()));
        std::string_view keyword = NextWord(&rest);
        if (!keyword.empty()) {
          s.AddCapability(keyword);
          // "AUTH PLAIN LOGIN" (also the old "AUTH=LOGIN" form).
          if (EqualsNoCase(keyword, "AUTH") || StartsWithNoCase(keyword, "AUTH=")) {
            if (keyword.size() > 5) s.AddAuthMechanism(keyword.substr(5));
            while (!rest.empty()) {
              std::string_view mech = NextWord(&rest);
              if (!mech.empty()) s.AddAuthMechanism(mech);
            }
          }
        }
      }
      if (!last) return {};
      *have_action = true;
      return AfterEhlo(s, code);
    }
    case Session::State::kHeloReply:
      s.reply_started_ = !last;
      if (!last) return {};
      *have_action = true;
      // 250: a server without extensions, so without STARTTLS. A refused HELO leaves that open.
      if (code == 250) return s.AfterCaps();
      if (code >= 400 && code < 600) return s.ServiceRefused();
      return s.Finish(ProbeOutcome::kProtocolError);
    case Session::State::kStartTlsReply:
      s.reply_started_ = !last;
      if (!last) return {};
      *have_action = true;
      if (code == 220) return s.StartTlsAccepted();
      // 421 answers any command when the server closes the channel (RFC 5321 3.8): the server is
      // going away, it did not judge STARTTLS. Other errors (454 "TLS not available", 502) do.
      if (code == 421) return s.ServiceRefused();
      return s.StartTlsRejected();
    default:
      return {};
  }
}

// `code` is the reply's last line; capabilities were taken only from a reply that began with 250.
Action SmtpDialect::AfterEhlo(Session& s, int code) {
  const bool ok = code == 250 && s.reply_ok_;
  if (ok) s.NoteCapabilitiesRead();
  if (s.in_tls_) return s.AfterCaps();  // the TLS outcome is known; EHLO only adds facts
  if (ok) return s.AfterCaps();
  // "Command not recognised" / "not implemented": a pre-ESMTP server, which RFC 5321 3.2 says
  // a client should greet with HELO instead.
  if (code == 500 || code == 502) return SendHelo(s);
  // Every other 4xx/5xx refuses us before any extension was listed: 421 (closing, Postfix's
  // "timeout exceeded"), 450/451 (busy, greylisting), 501 (our EHLO name refused; HELO would get
  // the same), 550/554 (policy). Whether the server offers STARTTLS stays unknown, so none of
  // them may count as plaintext_only (which feeds "without TLS"); 4xx and 5xx share the outcome
  // because both refuse service, and the reply code says no more about TLS than the outcome.
  if (code >= 400 && code < 600) return s.ServiceRefused();
  // 2xx/3xx other than a whole 250 reply answer no EHLO.
  return s.Finish(ProbeOutcome::kProtocolError);
}

Action SmtpDialect::SendHelo(Session& s) {
  s.BeginReply(Session::State::kHeloReply);
  s.rec_->flags |= results::kHeloFallback;
  return s.Send(NamedCommand(s, "HELO "));
}

std::string_view SmtpDialect::NamedCommand(Session& s, std::string_view verb) {
  s.out_ = verb;
  s.out_ += s.opt_->ehlo_name;
  s.out_ += "\r\n";
  return s.out_;
}

std::string_view SmtpDialect::CapsCommand(Session& s) const { return NamedCommand(s, "EHLO "); }
std::string_view SmtpDialect::StartTlsCommand(Session&) const { return "STARTTLS\r\n"; }
std::string_view SmtpDialect::InjectedCommand() const { return "NOOP\r\n"; }

bool SmtpDialect::ReadCapabilities(results::ProbeRecord* record) const {
  const std::string& mechs = record->auth_mechanisms;
  if (ContainsWord(mechs, "PLAIN") || ContainsWord(mechs, "LOGIN")) {
    record->flags |= results::kPlaintextLoginOffered;
  }
  return ContainsWord(record->capabilities, "STARTTLS");
}

std::string_view SmtpDialect::Quit() const { return "QUIT\r\n"; }

}  // namespace mailsweep::probes
