#include "probes/imap/imap_dialect.h"

#include <algorithm>
#include <string>

#include "probes/conversation.h"
#include "probes/words.h"

namespace mailsweep::probes {

using results::ProbeOutcome;

bool ImapDialect::GreetingPlausible(std::string_view head) const {
  const std::string_view want = "* ";
  const size_t n = std::min(head.size(), want.size());
  return StartsWithNoCase(head.substr(0, n), want.substr(0, n));
}

Action ImapDialect::OnLine(Conversation& c, std::string_view line, bool* have_action) const {
  switch (c.phase()) {
    case Phase::kGreeting: {
      *have_action = true;
      std::string_view rest = line;
      if (NextWord(&rest) != "*") return c.Finish(ProbeOutcome::kNotThisProtocol);
      std::string_view status = NextWord(&rest);
      bool caps_in_greeting = false;
      // "[CAPABILITY IMAP4rev1 ...]" response code in the greeting.
      size_t b = rest.find_first_not_of(' ');
      if (b != std::string_view::npos && StartsWithNoCase(rest.substr(b), "[CAPABILITY ")) {
        std::string_view list = rest.substr(b + 12);
        size_t close = list.find(']');
        if (close != std::string_view::npos) {
          ParseCapabilities(c, list.substr(0, close));
          caps_in_greeting = true;
          c.NoteCapabilitiesRead();
        }
      }
      if (EqualsNoCase(status, "OK")) {
        if (caps_in_greeting) return c.AfterCaps();
        return c.AfterGreeting();
      }
      if (EqualsNoCase(status, "PREAUTH")) return c.Finish(ProbeOutcome::kPreauth);
      if (EqualsNoCase(status, "BYE")) return c.Finish(ProbeOutcome::kServiceUnavailable);
      return c.Finish(ProbeOutcome::kNotThisProtocol);
    }
    case Phase::kCaps:
    case Phase::kStartTlsReply: {
      std::string_view rest = line;
      std::string_view first = NextWord(&rest);
      if (first == "*") {
        c.reply().started = true;
        std::string_view kind = NextWord(&rest);
        if (c.phase() == Phase::kCaps && EqualsNoCase(kind, "CAPABILITY")) {
          ParseCapabilities(c, rest);
        } else if (EqualsNoCase(kind, "BYE")) {
          // RFC 3501 7.1.5: the server is about to close; a tagged reply that may still come
          // would not carry the conversation on, so there is no use waiting for the close.
          *have_action = true;
          return c.ServiceRefused();
        }
        return {};
      }
      if (first == "+") return {};  // stray continuation request
      if (first != c.tag()) {
        *have_action = true;
        return c.Finish(ProbeOutcome::kProtocolError);
      }
      std::string_view status = NextWord(&rest);
      const bool ok = EqualsNoCase(status, "OK");
      *have_action = true;
      if (c.phase() == Phase::kCaps) {
        if (ok) c.NoteCapabilitiesRead();
        return c.AfterCaps();
      }
      if (ok) return c.StartTlsAccepted();
      if (EqualsNoCase(status, "NO") || EqualsNoCase(status, "BAD")) return c.StartTlsRejected();
      return c.Finish(ProbeOutcome::kProtocolError);
    }
    default:
      return {};
  }
}

std::string_view ImapDialect::TaggedCommand(Conversation& c, std::string_view command) {
  std::string& out = c.command_buffer();
  out = c.NextTag();
  out += ' ';
  out += command;
  return out;
}

std::string_view ImapDialect::CapsCommand(Conversation& c) const {
  return TaggedCommand(c, "CAPABILITY\r\n");
}
std::string_view ImapDialect::StartTlsCommand(Conversation& c) const {
  return TaggedCommand(c, "STARTTLS\r\n");
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

void ImapDialect::ParseCapabilities(Conversation& c, std::string_view list) {
  while (!list.empty()) {
    std::string_view cap = NextWord(&list);
    if (cap.empty()) continue;
    const results::ProbeRecord& rec = c.record();
    if (ContainsWord(c.in_tls() ? rec.capabilities_tls : rec.capabilities, cap)) continue;
    c.AddCapability(cap);
    if (StartsWithNoCase(cap, "AUTH=")) c.AddAuthMechanism(cap.substr(5));
  }
}

}  // namespace mailsweep::probes
