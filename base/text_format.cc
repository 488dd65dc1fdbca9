#include "base/text_format.h"

#include <fmt/format.h>

namespace mailsweep {

size_t FormatIpv4To(uint32_t address, char* out) {
  char* p = out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    uint32_t octet = (address >> shift) & 0xff;
    if (octet >= 100) {
      *p++ = static_cast<char>('0' + octet / 100);
      *p++ = static_cast<char>('0' + octet / 10 % 10);
    } else if (octet >= 10) {
      *p++ = static_cast<char>('0' + octet / 10);
    }
    *p++ = static_cast<char>('0' + octet % 10);
    if (shift) *p++ = '.';
  }
  return static_cast<size_t>(p - out);
}

std::string FormatIpv4(uint32_t address) {
  char buf[16];
  return std::string(buf, FormatIpv4To(address, buf));
}

bool ParseIpv4(std::string_view text, uint32_t* out, LeadingZeros zeros) {
  uint32_t address = 0;
  size_t i = 0;
  for (int octets = 0; octets < 4; ++octets) {
    if (octets > 0) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
    uint32_t octet = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 4) {
      octet = octet * 10 + static_cast<uint32_t>(text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || octet > 255) return false;
    if (zeros == LeadingZeros::kReject && digits > 1 && text[i - digits] == '0') return false;
    address = address << 8 | octet;
  }
  if (i != text.size()) return false;
  *out = address;
  return true;
}

std::string FormatUtc(int64_t t) {
  // Without strftime, which is slow for millions of rows: days to a civil date (the algorithm
  // of Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms").
  int64_t days = t / 86400, secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) {  // outside what four digits hold: the slow, general way
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", year, month, day, secs / 3600,
                       secs / 60 % 60, secs % 60);
  }
  // Digits by hand: printf's machinery cost 14% of writing millions of per-host rows.
  char b[19];
  auto two = [&b](int at, int64_t v) {
    b[at] = static_cast<char>('0' + v / 10);
    b[at + 1] = static_cast<char>('0' + v % 10);
  };
  two(0, year / 100);
  two(2, year % 100);
  b[4] = '-';
  two(5, month);
  b[7] = '-';
  two(8, day);
  b[10] = ' ';
  two(11, secs / 3600);
  b[13] = ':';
  two(14, secs / 60 % 60);
  b[16] = ':';
  two(17, secs % 60);
  return std::string(b, sizeof(b));
}

std::string FormatDate(int64_t t) { return FormatUtc(t).substr(0, 10); }

std::string FormatTimeUs(int64_t us) {
  int64_t s = us / 1000000, frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --s;
  }
  std::string t = FormatUtc(s);
  t[10] = 'T';
  return fmt::format("{}.{:06d}Z", t, frac);
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\n') {
      *out += "\\n";
      ++i;
    } else if (c == '\r') {
      *out += "\\r";
      ++i;
    } else if (c == '\t') {
      *out += "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      *out += "\\u00";
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
      ++i;
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++i;
    } else {
      size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool valid = len > 0 && i + len <= s.size();
      for (size_t k = 1; valid && k < len; ++k) {
        valid = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
      }
      if (valid) {
        out->append(s.substr(i, len));
        i += len;
      } else {
        *out += "\\u00";
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
        ++i;
      }
    }
  }
  out->push_back('"');
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

}  // namespace mailsweep
