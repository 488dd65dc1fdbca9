#include "results/agg/report_output.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/text_format.h"

namespace mailsweep::results {
namespace {

constexpr const char* kProtocolNames[kMailProtocols] = {"pop3", "imap", "smtp"};
constexpr const char* kProtocolLabels[kMailProtocols] = {"POP3", "IMAP", "SMTP"};
constexpr const char* kVersionLabels[6] = {"SSLv3",   "TLS 1.0", "TLS 1.1",
                                           "TLS 1.2", "TLS 1.3", "other"};

// ShadowServer's published column headers of its scan_pop3 / scan_imap and scan_smtp reports.
constexpr std::string_view kMailColumns =
    "timestamp,severity,ip,protocol,port,hostname,tag,asn,geo,region,city,naics,hostname_source,"
    "sector,banner,cert_expiration_date,cert_expired,cert_issue_date,cert_length,"
    "cert_serial_number,cert_valid,cipher_suite,handshake,issuer_business_category,"
    "issuer_common_name,issuer_country,issuer_email_address,issuer_given_name,"
    "issuer_locality_name,issuer_organization_name,issuer_organization_unit_name,"
    "issuer_postal_code,issuer_serial_number,issuer_state_or_province_name,"
    "issuer_street_address,issuer_surname,jarm,key_algorithm,md5_fingerprint,self_signed,"
    "sha1_fingerprint,sha256_fingerprint,sha512_fingerprint,signature_algorithm,ssl_version,"
    "sslv3_supported,subject_business_category,subject_common_name,subject_country,"
    "subject_email_address,subject_given_name,subject_locality_name,subject_organization_name,"
    "subject_organization_unit_name,subject_postal_code,subject_serial_number,"
    "subject_state_or_province_name,subject_street_address,subject_surname,validation_level";
constexpr std::string_view kSmtpColumns =
    "timestamp,severity,ip,protocol,port,hostname,tag,asn,geo,region,city,naics,hostname_source,"
    "sector,banner,auth_ssl_response,auth_tls_response,cert_expiration_date,cert_expired,"
    "cert_issue_date,cert_length,cert_serial_number,cert_valid,cipher_suite,freak_cipher_suite,"
    "freak_vulnerable,handshake,issuer_business_category,issuer_common_name,issuer_country,"
    "issuer_email_address,issuer_given_name,issuer_locality_name,issuer_organization_name,"
    "issuer_organization_unit_name,issuer_postal_code,issuer_serial_number,"
    "issuer_state_or_province_name,issuer_street_address,issuer_surname,jarm,key_algorithm,"
    "md5_fingerprint,raw_cert,raw_cert_chain,self_signed,sha1_fingerprint,sha256_fingerprint,"
    "sha512_fingerprint,signature_algorithm,ssl_version,sslv3_supported,"
    "subject_business_category,subject_common_name,subject_country,subject_email_address,"
    "subject_given_name,subject_locality_name,subject_organization_name,"
    "subject_organization_unit_name,subject_postal_code,subject_serial_number,"
    "subject_state_or_province_name,subject_street_address,subject_surname,tlsv13_cipher,"
    "tlsv13_support,validation_level";

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    size_t c = s.find(',');
    out.push_back(s.substr(0, c));
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

std::string Base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint32_t{static_cast<uint8_t>(in[i])} << 16 |
                 uint32_t{static_cast<uint8_t>(in[i + 1])} << 8 | static_cast<uint8_t>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint32_t{static_cast<uint8_t>(in[i])} << 16;
    if (i + 1 < in.size()) v |= uint32_t{static_cast<uint8_t>(in[i + 1])} << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Banners keep their line structure visibly but stay on one CSV line.
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Grouped(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// 512, 34k, 1.2M: for labels where a full number does not fit.
std::string Short(uint64_t v) {
  if (v < 1000) return std::to_string(v);
  if (v < 1'000'000) return fmt::format("{:.{}f}k", v / 1e3, v < 10'000 ? 1 : 0);
  return fmt::format("{:.1f}M", v / 1e6);
}

struct CountryTotal {
  uint16_t country;
  std::array<uint64_t, kMailProtocols> without_tls{};
  uint64_t total = 0;
};

std::vector<CountryTotal> CountriesByWithoutTls(const Summary& s) {
  std::map<uint16_t, CountryTotal> by;
  for (const auto& [key, c] : s.counts) {
    auto cc = static_cast<uint16_t>(key >> 8);
    CountryTotal& t = by[cc];
    t.country = cc;
    t.without_tls[key & 0xff] += c.without_tls;
    t.total += c.without_tls;
  }
  std::vector<CountryTotal> out;
  for (auto& [cc, t] : by) out.push_back(t);
  std::stable_sort(out.begin(), out.end(),
                   [](const CountryTotal& a, const CountryTotal& b) { return a.total > b.total; });
  return out;
}

// The per-host CSVs go to their files in pieces of this size: millions of hosts make gigabytes.
constexpr size_t kCsvPiece = 1 << 20;

absl::Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  if (!out) return absl::UnavailableError(StrCat(path, ": cannot write"));
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string_view>& ShadowServerColumns(int protocol) {
  static const std::vector<std::string_view> mail = Split(kMailColumns);
  static const std::vector<std::string_view> smtp = Split(kSmtpColumns);
  return protocol == 2 ? smtp : mail;
}

namespace {

enum class Col {
  kEmpty,
  kTimestamp,
  kSeverity,
  kIp,
  kAsn,
  kProtocol,
  kPort,
  kTag,
  kGeo,
  kHostname,
  kBanner,
  kCipher,
  kVersion,
  kTls13Support,
  kTls13Cipher,
  kCertExpired,
  // Columns from the certificate alone (cached per certificate):
  kCertExpiration,
  kCertIssue,
  kCertLength,
  kSerial,
  kIssuerCn,
  kIssuerC,
  kIssuerO,
  kIssuerOu,
  kSubjectCn,
  kSubjectC,
  kSubjectO,
  kSubjectOu,
  kKeyAlgorithm,
  kSignatureAlgorithm,
  kSelfSigned,
  kMd5,
  kSha1,
  kSha256,
  kRawCert,
};

Col ColumnOf(std::string_view c) {
  static const std::pair<std::string_view, Col> kMap[] = {
      {"timestamp", Col::kTimestamp},
      {"severity", Col::kSeverity},
      {"ip", Col::kIp},
      {"asn", Col::kAsn},
      {"protocol", Col::kProtocol},
      {"port", Col::kPort},
      {"tag", Col::kTag},
      {"geo", Col::kGeo},
      {"hostname", Col::kHostname},
      {"banner", Col::kBanner},
      {"cipher_suite", Col::kCipher},
      {"handshake", Col::kVersion},
      {"ssl_version", Col::kVersion},
      {"tlsv13_support", Col::kTls13Support},
      {"tlsv13_cipher", Col::kTls13Cipher},
      {"cert_expired", Col::kCertExpired},
      {"cert_expiration_date", Col::kCertExpiration},
      {"cert_issue_date", Col::kCertIssue},
      {"cert_length", Col::kCertLength},
      {"cert_serial_number", Col::kSerial},
      {"issuer_common_name", Col::kIssuerCn},
      {"issuer_country", Col::kIssuerC},
      {"issuer_organization_name", Col::kIssuerO},
      {"issuer_organization_unit_name", Col::kIssuerOu},
      {"subject_common_name", Col::kSubjectCn},
      {"subject_country", Col::kSubjectC},
      {"subject_organization_name", Col::kSubjectO},
      {"subject_organization_unit_name", Col::kSubjectOu},
      {"key_algorithm", Col::kKeyAlgorithm},
      {"signature_algorithm", Col::kSignatureAlgorithm},
      {"self_signed", Col::kSelfSigned},
      {"md5_fingerprint", Col::kMd5},
      {"sha1_fingerprint", Col::kSha1},
      {"sha256_fingerprint", Col::kSha256},
      {"raw_cert", Col::kRawCert}};
  for (const auto& [name, col] : kMap) {
    if (name == c) return col;
  }
  return Col::kEmpty;
}

std::string CertValue(Col col, const CertificateFacts& c) {
  switch (col) {
    case Col::kCertExpiration:
      return FormatUtc(c.not_after);
    case Col::kCertIssue:
      return FormatUtc(c.not_before);
    case Col::kCertLength:
      return c.key_bits ? std::to_string(c.key_bits) : "";
    case Col::kSerial:
      return c.serial_hex;
    case Col::kIssuerCn:
      return c.issuer_cn;
    case Col::kIssuerC:
      return c.issuer_c;
    case Col::kIssuerO:
      return c.issuer_o;
    case Col::kIssuerOu:
      return c.issuer_ou;
    case Col::kSubjectCn:
      return c.subject_cn;
    case Col::kSubjectC:
      return c.subject_c;
    case Col::kSubjectO:
      return c.subject_o;
    case Col::kSubjectOu:
      return c.subject_ou;
    case Col::kKeyAlgorithm:
      return c.key_algorithm;
    case Col::kSignatureAlgorithm:
      return c.signature_algorithm;
    case Col::kSelfSigned:
      return c.self_signed ? "Y" : "N";
    case Col::kMd5:
      return HexLower(c.md5);
    case Col::kSha1:
      return HexLower(c.sha1);
    case Col::kSha256:
      return HexLower(c.sha256);
    case Col::kRawCert:
      return Base64(c.der);
    default:
      return "";
  }
}

}  // namespace

void ShadowServerCsv(const Aggregator& agg, int protocol, bool vulnerable,
                     const std::function<void(std::string_view)>& sink) {
  const auto& names = ShadowServerColumns(protocol);
  std::vector<Col> columns;
  for (std::string_view n : names) columns.push_back(ColumnOf(n));
  std::string out = std::string(protocol == 2 ? kSmtpColumns : kMailColumns) + "\n";
  // Certificates repeat across hosts: their CSV fields are formatted once.
  absl::flat_hash_map<const CertificateFacts*, std::vector<std::string>> cert_fields;
  absl::flat_hash_map<uint64_t, std::string> banner_fields;
  // Timestamps repeat within a second: formatted once per distinct second in a row.
  uint32_t last_time = 0;
  std::string last_time_text = FormatUtc(0);
  for (const HostRow& h : agg.hosts()) {
    if (h.protocol != protocol || (vulnerable && !h.without_tls)) continue;
    const CertificateFacts* cert = h.tls_port ? agg.Certificate(h.tls_obs) : nullptr;
    const std::vector<std::string>* cf = nullptr;
    if (cert) {
      auto [it, inserted] = cert_fields.try_emplace(cert);
      if (inserted) {
        for (Col c : columns) it->second.push_back(CsvField(CertValue(c, *cert)));
      }
      cf = &it->second;
    }
    std::string_view cipher = h.tls_port ? agg.Cipher(h.tls_obs) : std::string_view();
    const bool tls13 = h.tls_port && h.tls_obs.tls_version() == 0x0304;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) out.push_back(',');
      switch (columns[i]) {
        case Col::kEmpty:
          break;
        case Col::kTimestamp:
          if (h.obs.time_s != last_time) {
            last_time = h.obs.time_s;
            last_time_text = FormatUtc(last_time);
          }
          out += last_time_text;
          break;
        case Col::kSeverity:
          out += vulnerable ? "medium" : "low";
          break;
        case Col::kIp:
          out += FormatIpv4(h.address);
          break;
        case Col::kAsn:
          if (h.asn) StrAppend(&out, h.asn);
          break;
        case Col::kProtocol:
          out += "tcp";
          break;
        case Col::kPort:
          StrAppend(&out, h.port);
          break;
        case Col::kTag:
          StrAppend(&out, kProtocolNames[protocol], "-", HostClassName(h.cls));
          break;
        case Col::kGeo:
          out += h.country.view();
          break;
        case Col::kHostname: {
          // The name the host was probed under (the input's domain), when it had one.
          std::string_view name = agg.Domain(h.address, h.port);
          if (name.empty() && h.tls_port) name = agg.Domain(h.address, h.tls_port);
          out += CsvField(name);
          break;
        }
        case Col::kBanner: {
          // Banners repeat (one id per distinct banner and reading worker): formatted once.
          const uint64_t id = uint64_t{h.obs.worker_plus_one} << 32 | h.obs.banner;
          auto [it, inserted] = banner_fields.try_emplace(id);
          if (inserted) it->second = CsvField(OneLine(agg.Banner(h.obs)));
          out += it->second;
          break;
        }
        case Col::kCipher:
          out += CsvField(cipher);
          break;
        case Col::kVersion:
          if (h.tls_port) out += TlsVersionName(h.tls_obs.tls_version());
          break;
        case Col::kTls13Support:
          if (tls13) out += "Y";
          break;
        case Col::kTls13Cipher:
          if (tls13) out += CsvField(cipher);
          break;
        case Col::kCertExpired:
          if (cert) out += cert->not_after < static_cast<int64_t>(h.tls_obs.time_s) ? "Y" : "N";
          break;
        default:
          if (cf) out += (*cf)[i];
      }
    }
    out.push_back('\n');
    if (out.size() >= kCsvPiece) {
      sink(out);
      out.clear();
    }
  }
  if (!out.empty()) sink(out);
}

std::string ShadowServerCsv(const Aggregator& agg, int protocol, bool vulnerable) {
  std::string all;
  ShadowServerCsv(agg, protocol, vulnerable, [&all](std::string_view piece) { all += piece; });
  return all;
}

void PrintReportTable(const Aggregator& agg, FILE* out, int top) {
  const Summary& s = agg.summary();
  fmt::print(out, "mailsweep-agg report: {} file(s), {} probe records, {} sweep records",
             s.files.size(), Grouped(s.read.probe_records), Grouped(s.read.sweep_records));
  if (s.read.corruptions || s.read.torn_tail_bytes) {
    fmt::print(out, "; {} corruption(s), {} bytes dropped, {} torn-tail bytes", s.read.corruptions,
               s.read.dropped_bytes, s.read.torn_tail_bytes);
  }
  fmt::print(out, "\npolicy {}: {}\n\n", PolicyName(s.policy), PolicyDescription(s.policy));
  fmt::print(out, "Hosts without TLS by country (top {})\n", top);
  fmt::print(out, "{:<8}{:>12}{:>12}{:>12}\n", "country", "POP3", "IMAP", "SMTP");
  std::vector<CountryTotal> countries = CountriesByWithoutTls(s);
  int shown = 0;
  for (const CountryTotal& c : countries) {
    if (shown++ >= top || c.total == 0) break;
    fmt::print(out, "{:<8}{:>12}{:>12}{:>12}\n", CountryCode::FromKey(c.country).view(),
               Grouped(c.without_tls[0]), Grouped(c.without_tls[1]), Grouped(c.without_tls[2]));
  }
  fmt::print(out, "{:<8}{:>12}{:>12}{:>12}\n\n", "all", Grouped(s.totals[0].without_tls),
             Grouped(s.totals[1].without_tls), Grouped(s.totals[2].without_tls));
  fmt::print(out, "Hosts per protocol and class\n{:<24}{:>12}{:>12}{:>12}\n", "class", "POP3",
             "IMAP", "SMTP");
  for (int c = 0; c < kHostClassCount; ++c) {
    fmt::print(out, "{:<24}{:>12}{:>12}{:>12}\n", HostClassName(static_cast<HostClass>(c)),
               Grouped(s.totals[0].classes[c]), Grouped(s.totals[1].classes[c]),
               Grouped(s.totals[2].classes[c]));
  }
  fmt::print(out, "{:<24}{:>12}{:>12}{:>12}\n", StrCat("without TLS (", PolicyName(s.policy), ")"),
             Grouped(s.totals[0].without_tls), Grouped(s.totals[1].without_tls),
             Grouped(s.totals[2].without_tls));
}

std::string SummaryCsv(const Summary& s) {
  // One line per country x protocol x class with hosts, then the policy's count on a line with
  // class "without_tls".
  std::string out = "country,protocol,class,hosts\n";
  for (const auto& [key, c] : s.counts) {
    std::string prefix = StrCat(CountryCode::FromKey(static_cast<uint16_t>(key >> 8)).view(), ",",
                                kProtocolNames[key & 0xff], ",");
    for (int k = 0; k < kHostClassCount; ++k) {
      if (c.classes[k] == 0) continue;
      out += StrCat(prefix, HostClassName(static_cast<HostClass>(k)), ",", c.classes[k], "\n");
    }
    out += StrCat(prefix, "without_tls,", c.without_tls, "\n");
  }
  return out;
}

std::string SummaryJson(const Summary& s) {
  std::string out = "{\n";
  out += StrCat("  \"policy\": ", JsonQuote(PolicyName(s.policy)), ",\n");
  out += StrCat("  \"policy_description\": ", JsonQuote(PolicyDescription(s.policy)), ",\n");
  out += "  \"files\": [";
  for (size_t i = 0; i < s.files.size(); ++i) {
    out += StrCat(i ? ", " : "", JsonQuote(s.files[i]));
  }
  out += "],\n";
  out += StrCat("  \"records\": {\"probe\": ", s.read.probe_records,
                ", \"sweep\": ", s.read.sweep_records, ", \"certificates\": ", s.read.certificates,
                ", \"other_ports\": ", s.other_port_records, "},\n");
  out += StrCat("  \"corruption\": {\"events\": ", s.read.corruptions,
                ", \"dropped_bytes\": ", s.read.dropped_bytes,
                ", \"torn_tail_bytes\": ", s.read.torn_tail_bytes, "},\n");
  auto counts_json = [](const CountryCounts& c) {
    std::string o = "{";
    for (int k = 0; k < kHostClassCount; ++k) {
      o += StrCat("\"", HostClassName(static_cast<HostClass>(k)), "\": ", c.classes[k], ", ");
    }
    return StrCat(o, "\"without_tls\": ", c.without_tls, "}");
  };
  out += "  \"totals\": {";
  for (int p = 0; p < kMailProtocols; ++p) {
    out += StrCat(p ? ", " : "", "\"", kProtocolNames[p], "\": ", counts_json(s.totals[p]));
  }
  out += "},\n  \"tls_versions\": {";
  for (int p = 0; p < kMailProtocols; ++p) {
    out += StrCat(p ? ", " : "", "\"", kProtocolNames[p], "\": {");
    for (int v = 0; v < 6; ++v) {
      out += StrCat(v ? ", " : "", JsonQuote(kVersionLabels[v]), ": ", s.tls_versions[p][v]);
    }
    out += "}";
  }
  out += "},\n  \"outcomes\": {";
  for (int p = 0; p < kMailProtocols; ++p) {
    out += StrCat(p ? ", " : "", "\"", kProtocolNames[p], "\": {");
    bool first = true;
    for (int o = 1; o < 16; ++o) {
      if (!s.outcomes[p][o]) continue;
      out += StrCat(first ? "" : ", ", JsonQuote(OutcomeName(static_cast<ProbeOutcome>(o))), ": ",
                    s.outcomes[p][o]);
      first = false;
    }
    out += "}";
  }
  out += "},\n  \"countries\": {";
  uint16_t last = 0;
  bool first_country = true;
  for (const auto& [key, c] : s.counts) {
    auto cc = static_cast<uint16_t>(key >> 8);
    if (first_country || cc != last) {
      out += StrCat(first_country ? "\n    " : "},\n    ", "\"", CountryCode::FromKey(cc).view(),
                    "\": {");
      first_country = false;
      last = cc;
    } else {
      out += ", ";
    }
    out += StrCat("\"", kProtocolNames[key & 0xff], "\": ", counts_json(c));
  }
  out += first_country ? "}\n}\n" : "}\n  }\n}\n";
  return out;
}

namespace {

// A chart legend: colour squares and labels laid out left to right from (x0, y), each item as
// wide as its label needs (~7 px per character at 12 px), wrapping before max_x. Returns the
// y of the line below the legend.
int Legend(std::string* h, int x0, int y, int max_x, const char* const* labels, int n,
           const char* const* colors) {
  int x = x0;
  for (int i = 0; i < n; ++i) {
    const int w = 16 + 7 * static_cast<int>(strlen(labels[i])) + 18;
    if (x > x0 && x + w > max_x) {
      x = x0;
      y += 18;
    }
    *h += StrCat("<rect x=\"", x, "\" y=\"", y, "\" width=\"12\" height=\"12\" fill=\"",
                 colors[i], "\"/><text x=\"", x + 16, "\" y=\"", y + 11, "\">", labels[i],
                 "</text>");
    x += w;
  }
  return y + 18;
}

}  // namespace

std::string ReportHtml(const Summary& s) {
  static const char* kColors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#9c755f"};
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>mailsweep report</title><style>body{font-family:system-ui,sans-serif;margin:2em;"
      "max-width:1000px;color:#222}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em}"
      "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:"
      "1px solid #ddd}th:first-child,td:first-child{text-align:left}.big{font-size:2em;"
      "font-weight:bold}.cards{display:flex;gap:2em}.card{padding:1em;border:1px solid #ddd;"
      "border-radius:8px}svg text{font-size:12px}</style></head><body>\n";
  h += "<h1>Mail servers without TLS</h1>\n";
  h +=
      StrCat("<p>Policy <b>", PolicyName(s.policy),
             "</b>: ", HtmlEscape(PolicyDescription(s.policy)), ". ", Grouped(s.read.probe_records),
             " probe records from ", s.files.size(), " file(s).</p>\n<div class=\"cards\">");
  for (int p = 0; p < kMailProtocols; ++p) {
    uint64_t hosts = 0;
    for (int c = 0; c < kHostClassCount; ++c) {
      if (c != static_cast<int>(HostClass::kNoService)) hosts += s.totals[p].classes[c];
    }
    h += StrCat("<div class=\"card\">", kProtocolLabels[p], "<div class=\"big\">",
                Grouped(s.totals[p].without_tls), "</div>without TLS of ", Grouped(hosts),
                " hosts</div>");
  }
  h += "</div>\n";

  // Chart 1: top countries, stacked per protocol.
  std::vector<CountryTotal> countries = CountriesByWithoutTls(s);
  if (countries.size() > 15) countries.resize(15);
  while (!countries.empty() && countries.back().total == 0) countries.pop_back();
  uint64_t max_total = 1;
  for (const auto& c : countries) max_total = std::max(max_total, c.total);
  const int bar_w = 700, row_h = 22, left = 50;
  h += "<h2>Hosts without TLS per country</h2>\n";
  h += StrCat("<svg width=\"", left + bar_w + 120, "\" height=\"", row_h * countries.size() + 40,
              "\" role=\"img\">\n");
  for (size_t i = 0; i < countries.size(); ++i) {
    const CountryTotal& c = countries[i];
    double x = left;
    int y = static_cast<int>(i) * row_h;
    h += StrCat("<text x=\"0\" y=\"", y + 15, "\">", CountryCode::FromKey(c.country).view(),
                "</text>");
    for (int p = 0; p < kMailProtocols; ++p) {
      double w = static_cast<double>(c.without_tls[p]) * bar_w / static_cast<double>(max_total);
      h += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{} {}: "
          "{}</title></rect>",
          x, y + 2, w, row_h - 4, kColors[p], CountryCode::FromKey(c.country).view(),
          kProtocolLabels[p], c.without_tls[p]);
      x += w;
    }
    h += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", x + 5, y + 15, Grouped(c.total));
  }
  int ly = static_cast<int>(countries.size()) * row_h + 20;
  Legend(&h, left, ly, left + bar_w, kProtocolLabels, kMailProtocols, kColors);
  h += "</svg>\n";

  // Chart 2: class breakdown per protocol (100% stacked bars).
  h += "<h2>What hosts offer, per protocol</h2>\n";
  h +=
      StrCat("<svg width=\"", left + bar_w + 20, "\" height=\"", 3 * 30 + 60, "\" role=\"img\">\n");
  for (int p = 0; p < kMailProtocols; ++p) {
    uint64_t sum = 0;
    for (int c = 0; c < kHostClassCount; ++c) sum += s.totals[p].classes[c];
    double x = left;
    h += StrCat("<text x=\"0\" y=\"", p * 30 + 18, "\">", kProtocolLabels[p], "</text>");
    for (int c = 0; c < kHostClassCount && sum; ++c) {
      double w = static_cast<double>(s.totals[p].classes[c]) * bar_w / static_cast<double>(sum);
      h += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"24\" fill=\"{}\"><title>{}: {} "
          "({:.1f}%)</title></rect>",
          x, p * 30, w, kColors[c], HostClassName(static_cast<HostClass>(c)),
          s.totals[p].classes[c], 100.0 * static_cast<double>(s.totals[p].classes[c]) / sum);
      x += w;
    }
  }
  const char* class_labels[kHostClassCount];
  for (int c = 0; c < kHostClassCount; ++c) {
    class_labels[c] = HostClassName(static_cast<HostClass>(c));
  }
  Legend(&h, left, 100, left + bar_w, class_labels, kHostClassCount, kColors);
  h += "</svg>\n";

  // Chart 3: TLS versions per protocol (grouped bars).
  uint64_t max_v = 1;
  for (int p = 0; p < kMailProtocols; ++p) {
    for (int v = 0; v < 6; ++v) max_v = std::max(max_v, s.tls_versions[p][v]);
  }
  h += "<h2>Negotiated TLS versions (hosts with working TLS)</h2>\n";
  const int chart_h = 160, group_w = 200;
  h +=
      StrCat("<svg width=\"", 3 * group_w + 60, "\" height=\"", chart_h + 90, "\" role=\"img\">\n");
  for (int p = 0; p < kMailProtocols; ++p) {
    int gx = 40 + p * group_w;
    for (int v = 0; v < 6; ++v) {
      double bh = static_cast<double>(s.tls_versions[p][v]) * chart_h / static_cast<double>(max_v);
      h += fmt::format(
          "<rect x=\"{}\" y=\"{:.1f}\" width=\"26\" height=\"{:.1f}\" fill=\"{}\"><title>{} {}: "
          "{}</title></rect>",
          gx + v * 30, chart_h - bh + 14, bh, kColors[v], kProtocolLabels[p], kVersionLabels[v],
          s.tls_versions[p][v]);
      if (s.tls_versions[p][v] > 0) {  // the count above its bar, small
        h += fmt::format(
            "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"middle\" style=\"font-size:9px\">{}</text>",
            gx + v * 30 + 13, chart_h - bh + 11, Short(s.tls_versions[p][v]));
      }
    }
    h += StrCat("<text x=\"", gx + 60, "\" y=\"", chart_h + 32, "\">", kProtocolLabels[p],
                "</text>");
  }
  Legend(&h, 40, chart_h + 46, 3 * group_w + 40, kVersionLabels, 6, kColors);
  h += "</svg>\n";

  // Outcome table.
  h += "<h2>Probe outcomes per protocol (records)</h2>\n<table><tr><th>outcome</th>";
  for (int p = 0; p < kMailProtocols; ++p) h += StrCat("<th>", kProtocolLabels[p], "</th>");
  h += "</tr>\n";
  for (int o = 1; o < 16; ++o) {
    if (!s.outcomes[0][o] && !s.outcomes[1][o] && !s.outcomes[2][o]) continue;
    h += StrCat("<tr><td>", OutcomeName(static_cast<ProbeOutcome>(o)), "</td>");
    for (int p = 0; p < kMailProtocols; ++p)
      h += StrCat("<td>", Grouped(s.outcomes[p][o]), "</td>");
    h += "</tr>\n";
  }
  h += "</table>\n";

  // Country table.
  h += "<h2>Without TLS per country</h2>\n<table><tr><th>country</th>";
  for (int p = 0; p < kMailProtocols; ++p) h += StrCat("<th>", kProtocolLabels[p], "</th>");
  h += "</tr>\n";
  for (const CountryTotal& c : CountriesByWithoutTls(s)) {
    h += StrCat("<tr><td>", CountryCode::FromKey(c.country).view(), "</td>");
    for (int p = 0; p < kMailProtocols; ++p)
      h += StrCat("<td>", Grouped(c.without_tls[p]), "</td>");
    h += "</tr>\n";
  }
  h += "</table>\n<p>Generated by mailsweep-agg " MAILSWEEP_VERSION ".</p></body></html>\n";
  return h;
}

absl::Status WriteReportFiles(const Aggregator& agg, const std::string& dir,
                              const std::string& date, bool per_host_csvs) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    int err = errno;
    return absl::UnavailableError(StrCat(dir, ": ", strerror(err)));
  }
  const Summary& s = agg.summary();
  MAILSWEEP_RETURN_IF_ERROR(WriteFile(dir + "/summary.csv", SummaryCsv(s)));
  MAILSWEEP_RETURN_IF_ERROR(WriteFile(dir + "/summary.json", SummaryJson(s)));
  MAILSWEEP_RETURN_IF_ERROR(WriteFile(dir + "/report.html", ReportHtml(s)));
  if (!per_host_csvs) return absl::OkStatus();
  for (int p = 0; p < kMailProtocols; ++p) {
    for (bool vulnerable : {false, true}) {
      std::string name = StrCat(dir, "/", date, "-scan_", kProtocolNames[p],
                                vulnerable ? "_vulnerable" : "", ".csv");
      std::ofstream out(name, std::ios::binary | std::ios::trunc);
      ShadowServerCsv(agg, p, vulnerable, [&out](std::string_view piece) {
        out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      });
      out.close();
      if (!out) return absl::UnavailableError(StrCat(name, ": cannot write"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mailsweep::results
