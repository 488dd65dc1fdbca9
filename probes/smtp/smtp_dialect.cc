#include "probes/smtp/smtp_dialect.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "probes/conversation.h"
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

Action SmtpDialect::OnLine(Conversation& c, std::string_view line, bool* have_action) const {
  int code = 0;
  bool last = false;
  if (!SmtpLineShape(line, &code, &last)) {
    *have_action = true;
    return c.Finish(c.phase() == Phase::kGreeting ? ProbeOutcome::kNotThisProtocol
                                                  : ProbeOutcome::kProtocolError);
  }
  switch (c.phase()) {
    case Phase::kGreeting:
      c.reply().started = !last;
      if (!last) return {};
      *have_action = true;
      if (code == 220) return c.AfterGreeting();
      if (code >= 400 && code < 600) return c.Finish(ProbeOutcome::kServiceUnavailable);
      return c.Finish(ProbeOutcome::kNotThisProtocol);
    case Phase::kCaps: {
      if (!c.reply().started) {
        c.reply().started = true;
        c.reply().ok = code == 250;
        // The first line is "250-host greeting"; extensions follow.
      } else if (c.reply().ok && code == 250) {
        std::string_view rest = line.substr(std::min<size_t>(4, line.size()));
        std::string_view keyword = NextWord(&rest);
        if (!keyword.empty()) {
          c.AddCapability(keyword);
          // "AUTH PLAIN LOGIN" (also the old "AUTH=LOGIN" form).
          if (EqualsNoCase(keyword, "AUTH") || StartsWithNoCase(keyword, "AUTH=")) {
            if (keyword.size() > 5) c.AddAuthMechanism(keyword.substr(5));
            while (!rest.empty()) {
              std::string_view mech = NextWord(&rest);
              if (!mech.empty()) c.AddAuthMechanism(mech);
            }
          }
        }
      }
      if (!last) return {};
      *have_action = true;
      return AfterEhlo(c, code);
    }
    case Phase::kHeloReply:
      c.reply().started = !last;
      if (!last) return {};
      *have_action = true;
      // 250: a server without extensions, so without STARTTLS. A refused HELO leaves that open.
      if (code == 250) return c.AfterCaps();
      if (code >= 400 && code < 600) return c.ServiceRefused();
      return c.Finish(ProbeOutcome::kProtocolError);
    case Phase::kStartTlsReply:
      c.reply().started = !last;
      if (!last) return {};
      *have_action = true;
      if (code == 220) return c.StartTlsAccepted();
      // 421 answers any command when the server closes the channel (RFC 5321 3.8): the server is
      // going away, it did not judge STARTTLS. Other errors (454 "TLS not available", 502) do.
      if (code == 421) return c.ServiceRefused();
      return c.StartTlsRejected();
    default:
      return {};
  }
}

// `code` is the reply's last line; capabilities were taken only from a reply that began with 250.
Action SmtpDialect::AfterEhlo(Conversation& c, int code) {
  const bool ok = code == 250 && c.reply().ok;
  if (ok) c.NoteCapabilitiesRead();
  if (c.in_tls()) return c.AfterCaps();  // the TLS outcome is known; EHLO only adds facts
  if (ok) return c.AfterCaps();
  // "Command not recognised" / "not implemented": a pre-ESMTP server, which RFC 5321 3.2 says
  // a client should greet with HELO instead.
  if (code == 500 || code == 502) return SendHelo(c);
  // Every other 4xx/5xx refuses us before any extension was listed: 421 (closing, Postfix's
  // "timeout exceeded"), 450/451 (busy, greylisting), 501 (our EHLO name refused; HELO would get
  // the same), 550/554 (policy). Whether the server offers STARTTLS stays unknown, so none of
  // them may count as plaintext_only (which feeds "without TLS"); 4xx and 5xx share the outcome
  // because both refuse service, and the reply code says no more about TLS than the outcome.
  if (code >= 400 && code < 600) return c.ServiceRefused();
  // 2xx/3xx other than a whole 250 reply answer no EHLO.
  return c.Finish(ProbeOutcome::kProtocolError);
}

Action SmtpDialect::SendHelo(Conversation& c) {
  c.record().flags |= results::kHeloFallback;
  return c.SendCommand(Phase::kHeloReply, NamedCommand(c, "HELO "));
}

std::string_view SmtpDialect::NamedCommand(Conversation& c, std::string_view verb) {
  std::string& out = c.command_buffer();
  out = verb;
  out += c.ehlo_name();
  out += "\r\n";
  return out;
}

std::string_view SmtpDialect::CapsCommand(Conversation& c) const {
  return NamedCommand(c, "EHLO ");
}
std::string_view SmtpDialect::StartTlsCommand(Conversation&) const { return "STARTTLS\r\n"; }
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
