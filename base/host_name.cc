#include "base/host_name.h"

#include <limits.h>
#include <unistd.h>

#include <vector>

#include "base/dns_name.h"
#include "base/read_file.h"

namespace mailsweep {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool EndsWithIgnoringCase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         EqualsIgnoringCase(text.substr(text.size() - suffix.size()), suffix);
}

// A name that identifies this machine to someone else: dotted, a DNS name, not a loopback name.
bool IsUsableFqdn(std::string_view name) {
  return name.find('.') != std::string_view::npos && IsDnsName(name) &&
         name.find('*') == std::string_view::npos && !EqualsIgnoringCase(name, "localhost") &&
         !EndsWithIgnoringCase(name, ".localdomain") && !EndsWithIgnoringCase(name, ".localhost");
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t end = i;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    if (end > i) fields.push_back(line.substr(i, end - i));
    i = end;
  }
  return fields;
}

}  // namespace

std::optional<std::string> FqdnFromHosts(std::string_view host_name, std::string_view hosts_text) {
  if (host_name.find('.') != std::string_view::npos) {
    if (IsUsableFqdn(host_name)) return std::string(host_name);
    return std::nullopt;
  }
  if (host_name.empty()) return std::nullopt;
  while (!hosts_text.empty()) {
    const size_t newline = hosts_text.find('\n');
    std::string_view line = hosts_text.substr(0, newline);
    hosts_text =
        newline == std::string_view::npos ? std::string_view() : hosts_text.substr(newline + 1);
    line = line.substr(0, line.find('#'));
    const std::vector<std::string_view> fields = Fields(line);
    if (fields.size() < 2) continue;  // an address alone names nothing
    bool lists_host = false;
    for (size_t i = 1; i < fields.size(); ++i) {
      lists_host = lists_host || EqualsIgnoringCase(fields[i], host_name);
    }
    if (!lists_host) continue;
    for (size_t i = 1; i < fields.size(); ++i) {
      if (IsUsableFqdn(fields[i])) return std::string(fields[i]);
    }
  }
  return std::nullopt;
}

std::optional<std::string> LocalFqdn(const std::string& hosts_path) {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return std::nullopt;
  // /etc/hosts is a few lines; a bound keeps a wrong path (a device) from an endless read.
  absl::StatusOr<std::string> hosts = ReadWholeFile(hosts_path, 1 << 20, /*text=*/true);
  return FqdnFromHosts(name, hosts.ok() ? std::string_view(*hosts) : std::string_view());
}

}  // namespace mailsweep
