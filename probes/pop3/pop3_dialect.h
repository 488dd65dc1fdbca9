// POP3 (RFC 1939, CAPA and STLS from RFC 2449 and 2595, response codes from RFC 3206) as the
// Session speaks it: "+OK"/"-ERR" greeting, CAPA (a dot-ended list; SASL mechanisms on its SASL
// line), STLS, QUIT. Used through DialectFor(Protocol::kPop3); stateless.
#ifndef MAILSWEEP_PROBES_POP3_POP3_DIALECT_H_
#define MAILSWEEP_PROBES_POP3_POP3_DIALECT_H_

#include "probes/dialect.h"

namespace mailsweep::probes {

class Pop3Dialect final : public Dialect {
 public:
  bool GreetingPlausible(std::string_view head) const override;
  Action OnLine(Conversation& c, std::string_view line, bool* have_action) const override;
  std::string_view CapsCommand(Conversation& c) const override;
  std::string_view StartTlsCommand(Conversation& c) const override;
  std::string_view InjectedCommand() const override;
  bool ReadCapabilities(results::ProbeRecord* record) const override;
  std::string_view Quit() const override;
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_POP3_POP3_DIALECT_H_
