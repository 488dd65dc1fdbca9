// IMAP (RFC 3501; STARTTLS, LOGINDISABLED) as the Session speaks it: "* OK" greeting (its
// [CAPABILITY ...] response code spares the command), tagged CAPABILITY and STARTTLS, BYE as a
// refusal, LOGOUT. Used through DialectFor(Protocol::kImap); stateless (tags are the session's).
#ifndef MAILSWEEP_PROBES_IMAP_IMAP_DIALECT_H_
#define MAILSWEEP_PROBES_IMAP_IMAP_DIALECT_H_

#include "probes/dialect.h"

namespace mailsweep::probes {

class ImapDialect final : public Dialect {
 public:
  bool GreetingPlausible(std::string_view head) const override;
  Action OnLine(Conversation& c, std::string_view line, bool* have_action) const override;
  std::string_view CapsCommand(Conversation& c) const override;
  std::string_view StartTlsCommand(Conversation& c) const override;
  std::string_view InjectedCommand() const override;
  bool ReadCapabilities(results::ProbeRecord* record) const override;
  std::string_view Quit() const override;

 private:
  static void ParseCapabilities(Conversation& c, std::string_view list);
  static std::string_view TaggedCommand(Conversation& c, std::string_view command);
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_IMAP_IMAP_DIALECT_H_
