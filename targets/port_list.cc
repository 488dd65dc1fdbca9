#include "targets/port_list.h"

#include <bitset>
#include <charconv>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/strings.h"

namespace mailsweep::targets {
namespace {

absl::StatusOr<uint16_t> ParsePort(std::string_view text, std::string_view spec) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return absl::InvalidArgumentError(
        StrCat(Quote(text), " in port list ", Quote(spec), " is not a port from 1 to 65535"));
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

absl::StatusOr<std::vector<uint16_t>> ParsePortList(std::string_view spec) {
  std::vector<uint16_t> ports;
  auto seen = std::make_unique<std::bitset<65536>>();
  for (absl::string_view piece : absl::StrSplit(ToAbsl(spec), ',')) {
    const std::string_view item = ToStd(piece);
    uint16_t lo, hi;
    if (size_t dash = item.find('-'); dash != std::string_view::npos) {
      auto a = ParsePort(item.substr(0, dash), spec);
      if (!a.ok()) return a.status();
      auto b = ParsePort(item.substr(dash + 1), spec);
      if (!b.ok()) return b.status();
      if (*a > *b) {
        return absl::InvalidArgumentError(
            StrCat("port range '", item, "' in '", spec, "' runs backwards"));
      }
      lo = *a;
      hi = *b;
    } else {
      auto p = ParsePort(item, spec);
      if (!p.ok()) return p.status();
      lo = hi = *p;
    }
    for (uint32_t p = lo; p <= hi; ++p) {
      if (!seen->test(p)) {
        seen->set(p);
        ports.push_back(static_cast<uint16_t>(p));
      }
    }
  }
  return ports;
}

std::string FormatPortList(const std::vector<uint16_t>& ports) { return absl::StrJoin(ports, ","); }

}  // namespace mailsweep::targets
