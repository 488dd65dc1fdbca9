// Whether text is a DNS host name as a TLS server name (SNI) carries it: what `mailsweep probe`
// accepts as a target's domain (input column or --sni). RFC 6066 section 3: ASCII, no trailing
// dot, not an address literal. Labels are letters, digits, '-', '_' (service names) and '*'
// (lists that hold wildcard names), 1-63 bytes each, 253 bytes in all. A pure function.
#ifndef MAILSWEEP_BASE_DNS_NAME_H_
#define MAILSWEEP_BASE_DNS_NAME_H_

#include <string_view>

namespace mailsweep {

bool IsDnsName(std::string_view name);

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_DNS_NAME_H_
