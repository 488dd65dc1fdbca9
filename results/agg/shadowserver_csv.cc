#include "results/agg/shadowserver_csv.h"

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"
#include "base/text_format.h"
#include "results/agg/report_text.h"

namespace mailsweep::results {
namespace {

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

// The per-host CSVs go to their files in pieces of this size: millions of hosts make gigabytes.
constexpr size_t kCsvPiece = 1 << 20;

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

const std::vector<std::string_view>& ShadowServerColumns(int protocol) {
  static const std::vector<std::string_view> mail = Split(kMailColumns);
  static const std::vector<std::string_view> smtp = Split(kSmtpColumns);
  return protocol == 2 ? smtp : mail;
}

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

}  // namespace mailsweep::results
