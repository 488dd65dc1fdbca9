// Text forms of the values every output writes: an IPv4 address as a dotted quad (and the one
// parser of that spelling, ParseIpv4, for target lists and geo databases), a Unix time
// as UTC ("YYYY-MM-DD HH:MM:SS", a date, RFC 3339 with microseconds), a CSV field quoted when it
// must be, and a JSON string literal. One spelling for the record dumps and text sinks
// (results/format/record_text.h, engine/cli/), the roll-up's reports (results/agg/: the
// per-host CSVs and summary files) and the target lists (targets/). Pure functions; thread-safe.
//
// Example:
//   std::string row = StrCat(FormatIpv4(a), ",", FormatUtc(t), ",", CsvField(banner), "\n");
#ifndef MAILSWEEP_BASE_TEXT_FORMAT_H_
#define MAILSWEEP_BASE_TEXT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailsweep {

// "a.b.c.d" of a host-order address.
std::string FormatIpv4(uint32_t address);

// How ParseIpv4 reads an octet with a leading zero ("010"): as decimal, or not at all, as
// inet_pton does (other parsers read it as octal, so such a spelling is ambiguous).
enum class LeadingZeros { kDecimal, kReject };
// The one IPv4 text parser: a strict dotted quad, four decimal octets 0-255 of 1-3 digits, no
// signs, no spaces, nothing before or after. Sets *out (host order) and returns true, or
// returns false and leaves *out alone.
[[nodiscard]] bool ParseIpv4(std::string_view text, uint32_t* out,
                             LeadingZeros zeros = LeadingZeros::kDecimal);
// Writes the dotted quad to `out` (room for 15 bytes), returns the length. For hot output loops.
size_t FormatIpv4To(uint32_t address, char* out);

// Unix seconds as "YYYY-MM-DD HH:MM:SS" (UTC) / "YYYY-MM-DD".
std::string FormatUtc(int64_t unix_seconds);
std::string FormatDate(int64_t unix_seconds);
// Unix microseconds as RFC 3339 UTC, "2026-11-29T08:00:00.123456Z".
std::string FormatTimeUs(int64_t unix_us);

// `s` as one CSV field: as it is, or in double quotes (quotes doubled) when it holds a comma, a
// quote or a line break.
std::string CsvField(std::string_view s);

// `s` as a JSON string literal, quotes included. Bytes that are not UTF-8 become \u00XX (read as
// Latin-1): valid JSON whatever a server sent.
void AppendJsonString(std::string* out, std::string_view s);
std::string JsonQuote(std::string_view s);

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_TEXT_FORMAT_H_
