#include "engine/prober/probe_target_reader.h"

#include <charconv>

#include "base/dns_name.h"
#include "base/strings.h"
#include "targets/ipv4.h"

namespace mailsweep::engine {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitCommas(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (;;) {
    size_t comma = line.find(',', start);
    fields.push_back(
        Trim(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

}  // namespace

absl::Status ProbeTargetReader::AddWithPorts(uint32_t address, std::string_view port_text,
                                             std::string_view domain,
                                             std::vector<ProbeTarget>* out) {
  // DNS tools print absolute names ("mx1.example.org."); a server name has no trailing dot.
  if (domain.size() > 1 && domain.back() == '.') domain.remove_suffix(1);
  if (!domain.empty() && !IsDnsName(domain)) {
    return absl::InvalidArgumentError(StrCat("bad domain '", domain.substr(0, 80), "'"));
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(StrCat("bad port '", port_text, "'"));
    }
    out->push_back({address, static_cast<uint16_t>(port), TargetName(domain)});
    return absl::OkStatus();
  }
  if (default_ports_.empty()) {
    return absl::InvalidArgumentError("line without a port and no default ports (-p)");
  }
  for (uint16_t p : default_ports_) out->push_back({address, p, TargetName(domain)});
  return absl::OkStatus();
}

absl::Status ProbeTargetReader::ParseLine(std::string_view line, std::vector<ProbeTarget>* out) {
  line = Trim(line);
  if (line.empty() || line.front() == '#') return absl::OkStatus();
  std::vector<std::string_view> fields = SplitCommas(line);
  if (first_line_) {
    first_line_ = false;
    // A header names its columns: ZMap's "saddr[,sport,...]" or a generic "ip,...,port".
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i] == "saddr" || fields[i] == "ip") {
        header_ = true;
        addr_column_ = static_cast<int>(i);
      }
    }
    if (header_) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "sport" || fields[i] == "port") port_column_ = static_cast<int>(i);
        if (fields[i] == "domain" || fields[i] == "name") domain_column_ = static_cast<int>(i);
      }
      return absl::OkStatus();
    }
  }
  size_t ai = static_cast<size_t>(addr_column_);
  if (ai >= fields.size()) return absl::InvalidArgumentError("missing address column");
  std::string_view addr_text = fields[ai];
  if (addr_text.empty()) {
    return absl::InvalidArgumentError("no address (names are not resolved: give the IP)");
  }
  if (targets::LooksLikeIpv6(addr_text)) {
    ++skipped_ipv6_;
    return absl::OkStatus();
  }
  auto addr = targets::ParseIpv4(addr_text);
  if (!addr.ok()) return addr.status();
  std::string_view port_text, domain;
  auto column = [&](int i) {
    return i >= 0 && static_cast<size_t>(i) < fields.size() ? fields[static_cast<size_t>(i)]
                                                            : std::string_view();
  };
  if (header_) {
    port_text = column(port_column_);
    domain = column(domain_column_);
  } else if (fields.size() == 2) {
    // "ip,port", or ZGrab2's "ip, domain" (its trailing empty fields may be omitted).
    const bool numeric = !fields[1].empty() &&
                         fields[1].find_first_not_of("0123456789") == std::string_view::npos;
    (numeric ? port_text : domain) = fields[1];
  } else if (fields.size() >= 3) {
    domain = fields[1];  // ZGrab2: ip, domain, tag[, port]
    if (fields.size() >= 4) port_text = fields[3];
  }
  return AddWithPorts(*addr, port_text, domain, out);
}

}  // namespace mailsweep::engine
