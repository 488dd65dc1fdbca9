// What differs between POP3, IMAP and SMTP in a probe's conversation: how a greeting begins, how
// each reply line is read, which commands ask for capabilities and STARTTLS, which capabilities
// say STARTTLS and a plaintext login are offered, and how to say goodbye. The Session (session.h)
// runs the shared machine (greeting -> capabilities -> STARTTLS -> TLS -> capabilities again) and
// asks its dialect at each of these points. Adding a protocol means adding a folder with a
// Dialect and a line in DialectFor() (dialect_registry.h).
//
// Dialects are stateless constants shared by every session and thread; the state they read and
// change is the session's, passed in as the narrow Conversation (conversation.h), never the
// Session itself. Protocol code performs no I/O: lines in, actions out.
#ifndef MAILSWEEP_PROBES_DIALECT_H_
#define MAILSWEEP_PROBES_DIALECT_H_

#include <string_view>

#include "probes/conversation.h"
#include "results/format/records.h"

namespace mailsweep::probes {

class Dialect {
 public:
  virtual ~Dialect() = default;

  // Whether `head`, the greeting's first bytes so far (at least one), can begin a greeting.
  virtual bool GreetingPlausible(std::string_view head) const = 0;
  // One whole line of the server's in the conversation's current phase. Sets *have_action when the
  // returned action is the session's next step; otherwise the line was taken in and the session
  // reads on.
  virtual Action OnLine(Conversation& c, std::string_view line, bool* have_action) const = 0;
  // The capability command (CAPA, CAPABILITY with a new tag, EHLO with the session's name).
  virtual std::string_view CapsCommand(Conversation& c) const = 0;
  // The STARTTLS command, and the second command the opt-in injection check sends with it.
  virtual std::string_view StartTlsCommand(Conversation& c) const = 0;
  virtual std::string_view InjectedCommand() const = 0;
  // Reads the plaintext capabilities in `*record`: sets kPlaintextLoginOffered (and IMAP's
  // kLoginDisabled), and says whether STARTTLS is advertised.
  virtual bool ReadCapabilities(results::ProbeRecord* record) const = 0;
  virtual std::string_view Quit() const = 0;
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_DIALECT_H_
