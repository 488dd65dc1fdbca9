// Reads probe targets from text, one per line, in the formats scanners hand each other:
//   "ip,port"                    mailsweep targets, masscan-like lists
//   "ip"                         with the default ports (-p): one target per port
//   ZMap CSV with a header naming "saddr" (and optionally "sport", the responder's port)
//   ZGrab2 CSV "ip, domain, tag, port" (the tag is ignored; trailing fields may be omitted, so a
//     second field that is not a number is a domain; no port: default ports)
//   a CSV with a header naming "ip" (or "saddr"), and optionally "port"/"sport", "domain"/"name"
// A domain (a DNS name, not an address; one trailing dot is dropped) becomes the targets' name:
// the prober sends it as the TLS server name (SNI) and records it, as ZGrab2 does with its
// domain column.
// Blank lines and lines starting with '#' are skipped; IPv6 addresses are skipped and counted.
// Used by `mailsweep probe`. One owner; no thread rules.
//
// Example:
//   ProbeTargetReader reader({110, 143});
//   for (line : lines) { auto n = reader.ParseLine(line, &targets); if (!n.ok()) ... }
#ifndef MAILSWEEP_ENGINE_PROBER_PROBE_TARGET_READER_H_
#define MAILSWEEP_ENGINE_PROBER_PROBE_TARGET_READER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/prober/prober_options.h"

namespace mailsweep::engine {

class ProbeTargetReader {
 public:
  explicit ProbeTargetReader(std::vector<uint16_t> default_ports)
      : default_ports_(std::move(default_ports)) {}

  // Appends the line's targets to `out`, each with its own copy of the line's name, if any.
  // kInvalidArgument names what is wrong (and nothing is appended).
  absl::Status ParseLine(std::string_view line, std::vector<ProbeTarget>* out);
  uint64_t skipped_ipv6() const { return skipped_ipv6_; }

 private:
  absl::Status AddWithPorts(uint32_t address, std::string_view port_text, std::string_view domain,
                            std::vector<ProbeTarget>* out);
  std::vector<uint16_t> default_ports_;
  bool first_line_ = true;
  int addr_column_ = 0;   // from a header line
  int port_column_ = -1;    // -1: by shape (2 columns: 1, 4+ columns: 3)
  int domain_column_ = -1;  // -1: by shape (4+ columns: 1)
  bool header_ = false;
  uint64_t skipped_ipv6_ = 0;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_PROBE_TARGET_READER_H_
