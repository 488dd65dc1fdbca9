#include "results/record_text.h"

#include <ctime>

#include "base/strings.h"
#include "results/aggregator.h"
#include "results/report_output.h"

namespace mailsweep::results {
namespace {

std::string Json(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u >= 0x7f) {
      // Banners are bytes, not UTF-8: escape everything outside printable ASCII.
      out += fmt::format("\\u{:04x}", u);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Hex(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

std::string Names(std::initializer_list<std::pair<const char*, const std::string*>> fields) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (value->empty()) continue;
    out += StrCat(first ? "" : ",", "\"", name, "\":[", Json(*value), "]");
    first = false;
  }
  return out + "}";
}

}  // namespace

std::string FormatIpv4(uint32_t a) {
  return StrCat(a >> 24, ".", (a >> 16) & 255, ".", (a >> 8) & 255, ".", a & 255);
}

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

const char* ZgrabStatus(ProbeOutcome o) {
  switch (o) {
    case ProbeOutcome::kConnectRefused:
      return "connection-refused";
    case ProbeOutcome::kConnectTimeout:
      return "connection-timeout";
    case ProbeOutcome::kNoGreeting:
    case ProbeOutcome::kIoTimeout:
      return "io-timeout";
    case ProbeOutcome::kNotThisProtocol:
    case ProbeOutcome::kProtocolError:
      return "protocol-error";
    case ProbeOutcome::kServiceUnavailable:
    case ProbeOutcome::kStartTlsRefused:
      return "application-error";
    case ProbeOutcome::kStartTlsHandshakeFailed:
    case ProbeOutcome::kImplicitTlsFailed:
      return "tls-handshake-error";
    case ProbeOutcome::kConnectionReset:
      return "connection-reset";
    case ProbeOutcome::kPlaintextOnly:
    case ProbeOutcome::kStartTlsOk:
    case ProbeOutcome::kImplicitTlsOk:
    case ProbeOutcome::kPreauth:
      return "success";
  }
  return "unknown-error";
}

std::string FlagNames(uint32_t flags, const char* sep) {
  static const char* kNames[] = {
      "starttls_advertised", "starttls_accepted",    "tls_handshake_ok",  "plaintext_login_offered",
      "login_disabled",      "starttls_tried_blind", "injection_tested",  "injection_vulnerable",
      "plaintext_leftover",  "banner_truncated",     "capabilities_read", "capabilities_read_tls"};
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (!(flags & (1u << i))) continue;
    if (!out.empty()) out += sep;
    out += i < 12 ? std::string(kNames[i]) : StrCat("bit", i);
  }
  return out;
}

std::string SweepToJson(const SweepRecord& r) {
  const char* cls = r.status == SweepStatus::kOpen     ? "synack"
                    : r.status == SweepStatus::kClosed ? "rst"
                                                       : "unreach";
  return StrCat("{\"type\":\"sweep\",\"saddr\":\"", FormatIpv4(r.address), "\",\"sport\":", r.port,
                ",\"classification\":\"", cls,
                "\",\"success\":", r.status == SweepStatus::kOpen ? "true" : "false",
                ",\"ttl\":", r.ttl, ",\"window\":", r.window, ",\"timestamp\":\"",
                FormatTimeUs(r.time_us), "\"}");
}

std::string CertificateToJson(const CertificateFacts& c) {
  std::string subject = Names({{"common_name", &c.subject_cn},
                               {"organization", &c.subject_o},
                               {"organizational_unit", &c.subject_ou},
                               {"country", &c.subject_c}});
  std::string issuer = Names({{"common_name", &c.issuer_cn},
                              {"organization", &c.issuer_o},
                              {"organizational_unit", &c.issuer_ou},
                              {"country", &c.issuer_c}});
  return StrCat("{\"parsed\":{\"subject\":", subject, ",\"issuer\":", issuer,
                ",\"serial_number\":", Json(c.serial_hex), ",\"validity\":{\"start\":\"",
                FormatTimeUs(c.not_before * 1000000).substr(0, 19), "Z\",\"end\":\"",
                FormatTimeUs(c.not_after * 1000000).substr(0, 19),
                "Z\"},\"subject_key_info\":{\"key_algorithm\":{\"name\":", Json(c.key_algorithm),
                "},\"key_bits\":", c.key_bits,
                "},\"signature_algorithm\":{\"name\":", Json(c.signature_algorithm),
                "},\"self_signed\":", c.self_signed ? "true" : "false",
                "},\"fingerprint_sha256\":\"", Hex(c.sha256.data(), 32),
                "\",\"fingerprint_sha1\":\"", Hex(c.sha1.data(), 20), "\",\"fingerprint_md5\":\"",
                Hex(c.md5.data(), 16), "\",\"der_bytes\":", c.der.size(), "}");
}

std::string ProbeToJson(const ProbeRecord& r) {
  std::string proto = ProtocolName(r.protocol);
  std::string data = StrCat("{\"banner\":", Json(r.banner));
  if (!r.capabilities.empty()) StrAppend(&data, ",\"capabilities\":", Json(r.capabilities));
  if (!r.auth_mechanisms.empty())
    StrAppend(&data, ",\"auth_mechanisms\":", Json(r.auth_mechanisms));
  if (!r.capabilities_tls.empty()) {
    StrAppend(&data, ",\"capabilities_tls\":", Json(r.capabilities_tls));
  }
  if (!r.auth_mechanisms_tls.empty()) {
    StrAppend(&data, ",\"auth_mechanisms_tls\":", Json(r.auth_mechanisms_tls));
  }
  if (r.tls.version || !r.tls.failure.empty() || r.tls.leaf) {
    StrAppend(&data, ",\"tls\":{\"handshake_log\":{\"server_hello\":{\"version\":{\"name\":\"",
              TlsVersionName(r.tls.version), "\",\"value\":", r.tls.version,
              "},\"cipher_suite\":{\"name\":", Json(r.tls.cipher), "}}");
    if (r.tls.leaf) {
      StrAppend(&data, ",\"server_certificates\":{\"chain_length\":", r.tls.chain_length,
                ",\"certificate\":", CertificateToJson(*r.tls.leaf), "}");
    }
    StrAppend(&data, "}");
    if (!r.tls.failure.empty()) StrAppend(&data, ",\"failure\":", Json(r.tls.failure));
    StrAppend(&data, "}");
  }
  data += "}";
  std::string flags;
  if (r.flags) flags = StrCat("\"", FlagNames(r.flags, "\",\""), "\"");
  return StrCat("{\"type\":\"probe\",\"ip\":\"", FormatIpv4(r.address), "\",\"port\":", r.port,
                ",\"protocol\":\"", proto, "\",\"tls_mode\":\"",
                r.tls_mode == TlsMode::kImplicit ? "implicit" : "starttls", "\",\"timestamp\":\"",
                FormatTimeUs(r.start_us), "\",\"status\":\"", ZgrabStatus(r.outcome),
                "\",\"outcome\":\"", OutcomeName(r.outcome), "\",\"flags\":[", flags,
                "],\"connect_us\":", r.connect_us, ",\"duration_us\":", r.duration_us,
                ",\"data\":{\"", proto, "\":", data, "}}");
}

const char* kRecordCsvHeader() {
  return "type,ip,port,protocol,status,ttl,window,timestamp,flags,tls_version,cipher,"
         "cert_sha256,banner\n";
}

std::string SweepToCsv(const SweepRecord& r) {
  return StrCat("sweep,", FormatIpv4(r.address), ",", r.port, ",,", SweepStatusName(r.status), ",",
                r.ttl, ",", r.window, ",", FormatTimeUs(r.time_us), ",,,,,\n");
}

std::string ProbeToCsv(const ProbeRecord& r) {
  return StrCat("probe,", FormatIpv4(r.address), ",", r.port, ",", ProtocolName(r.protocol), ",",
                OutcomeName(r.outcome), ",,,", FormatTimeUs(r.start_us), ",",
                CsvField(FlagNames(r.flags, "|")), ",", TlsVersionName(r.tls.version), ",",
                CsvField(r.tls.cipher), ",",
                r.tls.leaf ? Hex(r.tls.leaf->sha256.data(), 32) : std::string(), ",",
                CsvField(r.banner), "\n");
}

}  // namespace mailsweep::results
