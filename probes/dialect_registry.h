// Which Dialect (dialect.h) speaks a protocol: the one place that names every protocol folder
// (pop3/, imap/, smtp/). The Session (session.h) asks it once per conversation; adding a
// protocol means one line here. Kept apart from dialect.h so that the dialects, which include
// dialect.h, are not included back by it.
//
// Thread-safe: the dialects are stateless constants built once and shared by every thread.
#ifndef MAILSWEEP_PROBES_DIALECT_REGISTRY_H_
#define MAILSWEEP_PROBES_DIALECT_REGISTRY_H_

#include "probes/dialect.h"
#include "results/format/records.h"

namespace mailsweep::probes {

// The dialect of `protocol`, valid for the life of the program; nullptr for Protocol::kUnknown.
const Dialect* DialectFor(results::Protocol protocol);

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_DIALECT_REGISTRY_H_
