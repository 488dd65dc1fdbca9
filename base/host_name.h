// The machine's fully qualified domain name, found without the network: the default EHLO name
// of `mailsweep scan` and `mailsweep probe`, so that a mail server's log names the scanner.
// gethostname() when it holds a dot, else the name /etc/hosts gives the host (what
// getaddrinfo(AI_CANONNAME) would find there); never a DNS query, which can hang in a network
// namespace without a resolver. Set-up code; FqdnFromHosts is a pure function.
//
// Example:
//   std::optional<std::string> fqdn = LocalFqdn();  // "scanner.example.org", or nullopt
#ifndef MAILSWEEP_BASE_HOST_NAME_H_
#define MAILSWEEP_BASE_HOST_NAME_H_

#include <optional>
#include <string>
#include <string_view>

namespace mailsweep {

// The fully qualified name of `host_name` (gethostname()'s text): the name itself when it has
// a dot, else the first dotted name on the first line of `hosts_text` (the format of
// /etc/hosts) that lists `host_name`. Only DNS names (base/dns_name.h) that are not a localhost
// name (localhost, *.localdomain, *.localhost) count; nullopt when there is none.
std::optional<std::string> FqdnFromHosts(std::string_view host_name, std::string_view hosts_text);

// FqdnFromHosts(gethostname(), contents of `hosts_path`); an unreadable file counts as empty.
std::optional<std::string> LocalFqdn(const std::string& hosts_path = "/etc/hosts");

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_HOST_NAME_H_
