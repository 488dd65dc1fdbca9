// base/text_format.h: dotted quads, UTC times, CSV fields and JSON strings, each against an
// independent spelling of the same value.
#include "base/text_format.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <random>
#include <string>
#include <vector>

namespace mailsweep {
namespace {

TEST_CASE("text format: FormatIpv4 and FormatIpv4To write the dotted quad") {
  CHECK(FormatIpv4(0) == "0.0.0.0");
  CHECK(FormatIpv4(0xc6120001u) == "198.18.0.1");
  CHECK(FormatIpv4(0x0a00640au) == "10.0.100.10");
  CHECK(FormatIpv4(0xffffffffu) == "255.255.255.255");
  char buf[16];
  CHECK(std::string(buf, FormatIpv4To(0xc0000209u, buf)) == "192.0.2.9");
}

TEST_CASE("text format: ParseIpv4 reads strict dotted quads, leading zeros as asked") {
  uint32_t a = 7;
  CHECK((ParseIpv4("198.18.0.1", &a) && a == 0xc6120001u));
  CHECK((ParseIpv4("255.255.255.255", &a) && a == 0xffffffffu));
  CHECK((ParseIpv4("010.001.0.9", &a) && a == 0x0a010009u));  // decimal, not octal
  CHECK_FALSE(ParseIpv4("010.001.0.9", &a, LeadingZeros::kReject));
  CHECK((ParseIpv4("0.0.0.0", &a, LeadingZeros::kReject) && a == 0));
  a = 7;
  for (const char* bad : {"", "1.2.3", "1.2.3.4.", "1..2.3", "256.0.0.1", "1.2.3.4 ", " 1.2.3.4",
                          "+1.2.3.4", "1.2.3.0004", "1.2.3.a", "1.2.3.4/8", "::1"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseIpv4(bad, &a));
  }
  CHECK_FALSE(ParseIpv4(std::string_view("1.2.3.4\0", 8), &a));  // inet_pton stopped at the NUL
  CHECK(a == 7);  // untouched on failure
}

// inet_pton is the oracle of LeadingZeros::kReject (the geo databases' parser before it), on
// every short string of digits and dots and on random mutations of addresses.
TEST_CASE("text format: ParseIpv4 with LeadingZeros::kReject agrees with inet_pton") {
  auto check = [](const std::string& text) {
    in_addr want;
    const bool ok = inet_pton(AF_INET, text.c_str(), &want) == 1;
    uint32_t got = 0;
    CAPTURE(text);
    REQUIRE(ParseIpv4(text, &got, LeadingZeros::kReject) == ok);
    if (ok) REQUIRE(got == ntohl(want.s_addr));
  };
  std::string text;
  // All strings of up to 7 characters over a reduced alphabet.
  const std::string small = "0125.9";
  std::vector<std::string> level = {""};
  for (int len = 1; len <= 7; ++len) {
    std::vector<std::string> next;
    for (const std::string& s : level) {
      for (char c : small) next.push_back(s + c);
    }
    for (const std::string& s : next) check(s);
    level.swap(next);
  }
  std::mt19937 rng(17);
  for (int i = 0; i < 200000; ++i) {
    text = FormatIpv4(static_cast<uint32_t>(rng()));
    const int edits = static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (text.size() + 1);
      const char c = "0123456789. -x"[rng() % 14];
      switch (rng() % 3) {
        case 0:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = c;
      }
    }
    check(text);
  }
}

TEST_CASE("text format: FormatUtc agrees with gmtime and strftime") {
  auto reference = [](int64_t t) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return std::string(buf);
  };
  // Edges (the epoch, leap days, centuries, the last second of 9999), then a spread up to 2^38.
  for (int64_t t : {int64_t{0}, int64_t{951782400}, int64_t{951868799}, int64_t{4107542400},
                    int64_t{1764403200}, int64_t{253402300799}}) {
    CHECK(FormatUtc(t) == reference(t));
  }
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const int64_t t = static_cast<int64_t>(x % (uint64_t{1} << 38));
    INFO("t = " << t);
    REQUIRE(FormatUtc(t) == reference(t));
  }
  CHECK(FormatDate(1764403200) == "2025-11-29");
}

TEST_CASE("text format: FormatTimeUs is RFC 3339 with microseconds, before 1970 too") {
  CHECK(FormatTimeUs(1764403200000042) == "2025-11-29T08:00:00.000042Z");
  CHECK(FormatTimeUs(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(FormatTimeUs(-1) == "1969-12-31T23:59:59.999999Z");
}

TEST_CASE("text format: CsvField quotes only what needs quoting") {
  CHECK(CsvField("plain text") == "plain text");
  CHECK(CsvField("") == "");
  CHECK(CsvField("a,b") == "\"a,b\"");
  CHECK(CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvField("two\r\nlines") == "\"two\r\nlines\"");
}

TEST_CASE("text format: JsonQuote escapes controls and keeps only valid UTF-8") {
  CHECK(JsonQuote("ok") == "\"ok\"");
  CHECK(JsonQuote("a\"b\\c\n\r\t") == "\"a\\\"b\\\\c\\n\\r\\t\"");
  CHECK(JsonQuote(std::string("\x01\x7f", 2)) == "\"\\u0001\\u007f\"");
  CHECK(JsonQuote("\xd0\x93") == "\"\xd0\x93\"");        // a two-byte sequence passes
  CHECK(JsonQuote("\xff\xd0") == "\"\\u00ff\\u00d0\"");  // a lone byte and a cut sequence
  std::string out = "x";
  AppendJsonString(&out, "");
  CHECK(out == "x\"\"");
}

}  // namespace
}  // namespace mailsweep
