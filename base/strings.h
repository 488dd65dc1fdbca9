// String glue for Debian's abseil, whose absl::string_view is its own type (built without
// ABSL_OPTION_USE_STD_STRING_VIEW), so absl::StrCat() refuses std::string_view. Our code uses
// std::string_view everywhere and these helpers at the seams:
//   - StrCat()/StrAppend(): concatenate strings, string_views (either kind), chars, integers;
//   - ToAbsl()/ToStd(): convert views for absl::StrSplit() and Status::message();
//   - HexLower(): bytes as lower-case hex (fingerprints in JSON and CSV);
//   - Quote(): a token of user input for an error message, in quotes, cut to a sane length and
//     with control bytes escaped, so a 1 MB line or binary junk is never echoed back whole;
//   - fmt can format absl::string_view (Status::message()) directly.
// Pure functions; thread-safe.
//
// Example:
//   return absl::InvalidArgumentError(StrCat(file, ":", line, ": bad token '", token, "'"));
#ifndef MAILSWEEP_BASE_STRINGS_H_
#define MAILSWEEP_BASE_STRINGS_H_

#include <fmt/format.h>

#include <charconv>
#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace mailsweep {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

namespace strings_internal {

inline void Append(std::string* out, std::string_view s) { out->append(s); }
inline void Append(std::string* out, absl::string_view s) { out->append(s.data(), s.size()); }
inline void Append(std::string* out, const std::string& s) { out->append(s); }
inline void Append(std::string* out, const char* s) { out->append(s); }
inline void Append(std::string* out, char c) { out->push_back(c); }
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void Append(std::string* out, T value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
}
inline void Append(std::string* out, double value) { out->append(fmt::format("{}", value)); }

}  // namespace strings_internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::Append(&out, args), ...);
  return out;
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (strings_internal::Append(out, args), ...);
}

inline std::string HexLower(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// 'token' as it should appear in a message: at most `max` bytes of it, bytes outside printable
// ASCII as \xNN, and when cut, "...' (N bytes)" at the end.
inline std::string Quote(std::string_view token, size_t max = 64) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < token.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  out += token.size() > max ? "...'" : "'";
  if (token.size() > max) StrAppend(&out, " (", token.size(), " bytes)");
  return out;
}

}  // namespace mailsweep

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(absl::string_view s, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.data(), s.size()), ctx);
  }
};

#endif  // MAILSWEEP_BASE_STRINGS_H_
