#include "probes/imap/imap_dialect.h"

#include <algorithm>

#include "probes/session.h"
#include "probes/words.h"

namespace mailsweep::probes {

using results::ProbeOutcome;

bool ImapDialect::GreetingPlausible(std::string_view head) const {
  const std::string_view want = "* ";
  const size_t n = std::min(head.size(), want.size());
  return StartsWithNoCase(head.substr(0, n), want.substr(0, n));
}

Action ImapDialect::OnLine(Session& s, std::string_view line, bool* have_action) const {
  switch (s.state_) {
    case Session::State::kGreeting: {
      *have_action = true;
      std::string_view rest = line;
      if (NextWord(&rest) != "*") return s.Finish(ProbeOutcome::kNotThisProtocol);
      std::string_view status = NextWord(&rest);
      // "[CAPABILITY IMAP4rev1 ...]" response code in the greeting.
      size_t b = rest.find_first_not_of(' ');
      if (b != std::string_view::npos && StartsWithNoCase(rest.substr(b), "[CAPABILITY ")) {
        std::string_view list = rest.substr(b + 12);
        size_t close = list.find(']');
        if (close != std::string_view::npos) {
          ParseCapabilities(s, list.substr(0, close));
          s.caps_in_greeting_ = true;
          s.NoteCapabilitiesRead();
        }
      }
      if (EqualsNoCase(status, "OK")) {
        if (s.caps_in_greeting_) return s.AfterCaps();
        return s.AfterGreeting();
      }
      if (EqualsNoCase(status, "PREAUTH")) return s.Finish(ProbeOutcome::kPreauth);
      if (EqualsNoCase(status, "BYE")) return s.Finish(ProbeOutcome::kServiceUnavailable);
      return s.Finish(ProbeOutcome::kNotThisProtocol);
    }
    case Session::State::kCaps:
    case Session::State::kStartTlsReply: {
      std::string_view rest = line;
      std::string_view first = NextWord(&rest);
      if (first == "*") {
        s.reply_started_ = true;
        std::string_view kind = NextWord(&rest);
        if (s.state_ == Session::State::kCaps && EqualsNoCase(kind, "CAPABILITY")) {
          ParseCapabilities(s, rest);
        } else if (EqualsNoCase(kind, "BYE")) {
          // RFC 3501 7.1.5: the server is about to close; a tagged reply that may still come
          // would not carry the conversation on, so there is no use waiting for the close.
          *have_action = true;
          return s.ServiceRefused();
        }
        return {};
      }
      if (first == "+") return {};  // stray continuation request
      if (first != std::string_view(s.tag_)) {
        *have_action = true;
        return s.Finish(ProbeOutcome::kProtocolError);
      }
      std::string_view status = NextWord(&rest);
      const bool ok = EqualsNoCase(status, "OK");
      *have_action = true;
      if (s.state_ == Session::State::kCaps) {
        if (ok) s.NoteCapabilitiesRead();
        return s.AfterCaps();
      }
      if (ok) return s.StartTlsAccepted();
      if (EqualsNoCase(status, "NO") || EqualsNoCase(status, "BAD")) return s.StartTlsRejected();
      return s.Finish(ProbeOutcome::kProtocolError);
    }
    default:
      return {};
  }
}

std::string_view ImapDialect::TaggedCommand(Session& s, std::string_view command) {
  s.NextTag();
  s.out_ = s.tag_;
  s.out_ += ' ';
  s.out_ += command;
  return s.out_;
}

std::string_view ImapDialect::CapsCommand(Session& s) const {
  return TaggedCommand(s, "CAPABILITY\r\n");
}
std::string_view ImapDialect::StartTlsCommand(Session& s) const {
  return TaggedCommand(s, "STARTTLS\r\n");
}
std::string_view ImapDialect::InjectedCommand() const { return "z999 NOOP\r\n"; }

bool ImapDialect::ReadCapabilities(results::ProbeRecord* record) const {
  if (ContainsWord(record->capabilities, "LOGINDISABLED")) {
    record->flags |= results::kLoginDisabled;
  } else if (record->flags & results::kCapabilitiesRead) {
    record->flags |= results::kPlaintextLoginOffered;
  }
  return ContainsWord(record->capabilities, "STARTTLS");
}

std::string_view ImapDialect::Quit() const { return "z000 LOGOUT\r\n"; }

void ImapDialect::ParseCapabilities(Session& s, std::string_view list) {
  while (!list.empty()) {
    std::string_view cap = NextWord(&list);
    if (cap.empty()) continue;
    if (ContainsWord(s.in_tls_ ? s.rec_->capabilities_tls : s.rec_->capabilities, cap)) continue;
    s.AddCapability(cap);
    if (StartsWithNoCase(cap, "AUTH=")) s.AddAuthMechanism(cap.substr(5));
  }
}

}  // namespace mailsweep::probes
