// SMTP (RFC 5321; STARTTLS from RFC 3207) as the Session speaks it: a "220" greeting, EHLO with
// the session's name (HELO when EHLO draws 500/502, flag kHeloFallback), STARTTLS, QUIT; replies
// read whole (multi-line "250-") and by their code, so that a 4xx/5xx refusal is never taken for
// a server without STARTTLS. Used through DialectFor(Protocol::kSmtp); stateless.
#ifndef MAILSWEEP_PROBES_SMTP_SMTP_DIALECT_H_
#define MAILSWEEP_PROBES_SMTP_SMTP_DIALECT_H_

#include "probes/dialect.h"

namespace mailsweep::probes {

class SmtpDialect final : public Dialect {
 public:
  bool GreetingPlausible(std::string_view head) const override;
  Action OnLine(Conversation& c, std::string_view line, bool* have_action) const override;
  std::string_view CapsCommand(Conversation& c) const override;
  std::string_view StartTlsCommand(Conversation& c) const override;
  std::string_view InjectedCommand() const override;
  bool ReadCapabilities(results::ProbeRecord* record) const override;
  std::string_view Quit() const override;

 private:
  static Action AfterEhlo(Conversation& c, int code);
  static Action SendHelo(Conversation& c);
  static std::string_view NamedCommand(Conversation& c, std::string_view verb);
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_SMTP_SMTP_DIALECT_H_
