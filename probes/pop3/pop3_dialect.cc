#include "probes/pop3/pop3_dialect.h"

#include <algorithm>

#include "probes/conversation.h"
#include "probes/words.h"

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;

// "-ERR [SYS/TEMP] ..." or "-ERR [SYS/PERM] ...": RFC 3206's codes for a failure of the server,
// not of the command.
bool SysResponseCode(std::string_view err_line) {
  std::string_view rest = err_line.substr(std::min<size_t>(4, err_line.size()));
  rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(' ')));
  return StartsWithNoCase(rest, "[SYS") && rest.size() > 4 && (rest[4] == '/' || rest[4] == ']');
}

}  // namespace

bool Pop3Dialect::GreetingPlausible(std::string_view head) const {
  auto prefix_of = [&](std::string_view want) {
    size_t n = std::min(head.size(), want.size());
    return StartsWithNoCase(head.substr(0, n), want.substr(0, n));
  };
  return prefix_of("+OK") || prefix_of("-ERR");
}

Action Pop3Dialect::OnLine(Conversation& c, std::string_view line, bool* have_action) const {
  const bool ok = StartsWithNoCase(line, "+OK");
  const bool err = StartsWithNoCase(line, "-ERR");
  switch (c.phase()) {
    case Phase::kGreeting:
      *have_action = true;
      if (ok) return c.AfterGreeting();
      if (err) return c.Finish(ProbeOutcome::kServiceUnavailable);
      return c.Finish(ProbeOutcome::kNotThisProtocol);
    case Phase::kCaps:
      if (!c.reply().started) {
        if (ok) {
          c.reply().started = true;
          c.reply().ok = true;
          return {};
        }
        *have_action = true;
        if (!err) return c.Finish(ProbeOutcome::kProtocolError);
        // -ERR to CAPA is an old server without it (RFC 2449), which cannot advertise STLS
        // either, unless an RFC 3206 [SYS/TEMP] or [SYS/PERM] code says the server itself failed:
        // then nothing is known about STLS.
        if (SysResponseCode(line)) return c.ServiceRefused();
        return c.AfterCaps();
      }
      if (line == ".") {
        c.NoteCapabilitiesRead();
        *have_action = true;
        return c.AfterCaps();
      }
      if (line.size() >= 2 && line[0] == '.') line.remove_prefix(1);  // dot-unstuffing
      {
        std::string_view rest = line;
        std::string_view name = NextWord(&rest);
        if (name.empty()) return {};
        c.AddCapability(name);
        if (EqualsNoCase(name, "SASL")) {
          while (!rest.empty()) {
            std::string_view mech = NextWord(&rest);
            if (!mech.empty()) c.AddAuthMechanism(mech);
          }
        }
      }
      return {};
    case Phase::kStartTlsReply:
      *have_action = true;
      if (ok) return c.StartTlsAccepted();
      if (err) return c.StartTlsRejected();
      return c.Finish(ProbeOutcome::kProtocolError);
    default:
      return {};
  }
}

std::string_view Pop3Dialect::CapsCommand(Conversation&) const { return "CAPA\r\n"; }
std::string_view Pop3Dialect::StartTlsCommand(Conversation&) const { return "STLS\r\n"; }
std::string_view Pop3Dialect::InjectedCommand() const { return "NOOP\r\n"; }

bool Pop3Dialect::ReadCapabilities(results::ProbeRecord* record) const {
  const std::string& mechs = record->auth_mechanisms;
  if (ContainsWord(record->capabilities, "USER") || ContainsWord(mechs, "PLAIN") ||
      ContainsWord(mechs, "LOGIN")) {
    record->flags |= results::kPlaintextLoginOffered;
  }
  return ContainsWord(record->capabilities, "STLS");
}

std::string_view Pop3Dialect::Quit() const { return "QUIT\r\n"; }

}  // namespace mailsweep::probes
