#include "probes/dialect_registry.h"

#include "probes/imap/imap_dialect.h"
#include "probes/pop3/pop3_dialect.h"
#include "probes/smtp/smtp_dialect.h"

namespace mailsweep::probes {

const Dialect* DialectFor(results::Protocol protocol) {
  // Stateless constants, built once (thread-safe static initialisation) and never changed.
  static const Pop3Dialect kPop3;
  static const ImapDialect kImap;
  static const SmtpDialect kSmtp;
  switch (protocol) {
    case results::Protocol::kPop3:
      return &kPop3;
    case results::Protocol::kImap:
      return &kImap;
    case results::Protocol::kSmtp:
      return &kSmtp;
    case results::Protocol::kUnknown:
      break;
  }
  return nullptr;
}

}  // namespace mailsweep::probes
