#include "targets/ipv4.h"

#include <bit>

#include "base/strings.h"
#include "base/text_format.h"

namespace mailsweep::targets {

absl::StatusOr<uint32_t> ParseIpv4(std::string_view text) {
  if (uint32_t address; mailsweep::ParseIpv4(text, &address)) return address;
  return absl::InvalidArgumentError(StrCat(Quote(text), " is not an IPv4 address"));
}

absl::StatusOr<Ipv4Range> ParseIpv4Range(std::string_view text) {
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    auto base = ParseIpv4(text.substr(0, slash));
    std::string_view len_text = text.substr(slash + 1);
    int len = 0;
    bool ok = !len_text.empty() && len_text.size() <= 2;
    for (size_t i = 0; ok && i < len_text.size(); ++i) {
      const char c = len_text[i];
      ok = c >= '0' && c <= '9';
      len = len * 10 + (c - '0');
    }
    if (!base.ok() || !ok || len > 32) {
      return absl::InvalidArgumentError(
          StrCat(Quote(text), " is not an IPv4 CIDR block (a.b.c.d/0-32)"));
    }
    const uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    return Ipv4Range{*base & mask, (*base & mask) | ~mask};
  }
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    auto first = ParseIpv4(text.substr(0, dash));
    auto last = ParseIpv4(text.substr(dash + 1));
    if (!first.ok() || !last.ok()) {
      return absl::InvalidArgumentError(
          StrCat(Quote(text), " is not an IPv4 range (a.b.c.d-e.f.g.h)"));
    }
    if (*first > *last) {
      return absl::InvalidArgumentError(
          StrCat(Quote(text), " is an empty range: its first address is after its last"));
    }
    return Ipv4Range{*first, *last};
  }
  auto single = ParseIpv4(text);
  if (!single.ok()) {
    return absl::InvalidArgumentError(
        StrCat(Quote(text), " is not an IPv4 address, CIDR block or range"));
  }
  return Ipv4Range{*single, *single};
}

bool LooksLikeIpv6(std::string_view text) { return text.find(':') != std::string_view::npos; }

std::string FormatRange(const Ipv4Range& range) {
  const uint64_t size = range.size();
  if (std::has_single_bit(size) && (range.first & (size - 1)) == 0) {
    return StrCat(FormatIpv4(range.first), "/", 32 - std::countr_zero(size));
  }
  return StrCat(FormatIpv4(range.first), "-", FormatIpv4(range.last));
}

}  // namespace mailsweep::targets
