// The built-in default blocklist: IANA's special-purpose IPv4 ranges (RFC 6890 and successors).
// It always applies; `--allow-reserved CIDR` lifts exactly the named part (the lab needs
// 198.18.0.0/15). Used by TargetSpace and by `mailsweep targets --help`. Immutable data.
#ifndef MAILSWEEP_TARGETS_RESERVED_H_
#define MAILSWEEP_TARGETS_RESERVED_H_

#include <span>
#include <string_view>

#include "targets/interval_set.h"

namespace mailsweep::targets {

struct ReservedRange {
  std::string_view cidr;
  std::string_view purpose;  // "private use (RFC 1918)", ...
};

std::span<const ReservedRange> ReservedRanges();
IntervalSet DefaultBlocklist();

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_RESERVED_H_
