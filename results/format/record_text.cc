#include "results/format/record_text.h"

#include "base/strings.h"
#include "base/text_format.h"

namespace mailsweep::results {
namespace {

void Key(std::string* out, const char* key) {
  if (out->back() != '{') out->push_back(',');
  out->push_back('"');
  *out += key;
  *out += "\":";
}
void Field(std::string* out, const char* key, std::string_view value) {
  Key(out, key);
  AppendJsonString(out, value);
}
void Field(std::string* out, const char* key, uint64_t value) {
  Key(out, key);
  StrAppend(out, value);
}
void Bool(std::string* out, const char* key, bool value) {
  Key(out, key);
  *out += value ? "true" : "false";
}
void Name(std::string* out, const char* key, const std::string& cn, const std::string& o,
          const std::string& ou, const std::string& c) {
  Key(out, key);
  out->push_back('{');
  Field(out, "common_name", cn);
  Field(out, "organization", o);
  Field(out, "organizational_unit", ou);
  Field(out, "country", c);
  out->push_back('}');
}

// Indexed by ProbeFlag bit.
constexpr const char* kFlagNames[] = {
    "starttls_advertised", "starttls_accepted",    "tls_handshake_ok",  "plaintext_login_offered",
    "login_disabled",      "starttls_tried_blind", "injection_tested",  "injection_vulnerable",
    "plaintext_leftover",  "banner_truncated",     "capabilities_read", "capabilities_read_tls",
    "helo_fallback"};
static_assert(kHeloFallback == 1u << (std::size(kFlagNames) - 1), "a name for every ProbeFlag");

}  // namespace

const char* ZgrabStatus(ProbeOutcome o) {
  switch (o) {
    case ProbeOutcome::kConnectRefused:
      return "connection-refused";
    case ProbeOutcome::kConnectTimeout:
      return "connection-timeout";
    case ProbeOutcome::kUnreachable:
      return "unknown-error";  // ZGrab2 has no status of its own for it
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
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (!(flags & (1u << i))) continue;
    if (!out.empty()) out += sep;
    out += i < static_cast<int>(std::size(kFlagNames)) ? std::string(kFlagNames[i])
                                                       : StrCat("bit", i);
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

void AppendCertificateJson(std::string* out, const CertificateFacts& c) {
  out->push_back('{');
  Field(out, "fingerprint_sha256", HexLower(c.sha256));
  if (c.lost) {  // only the SHA-256 is known: print nothing else
    Bool(out, "definition_lost", true);
    out->push_back('}');
    return;
  }
  Field(out, "fingerprint_sha1", HexLower(c.sha1));
  Field(out, "fingerprint_md5", HexLower(c.md5));
  Name(out, "subject", c.subject_cn, c.subject_o, c.subject_ou, c.subject_c);
  Name(out, "issuer", c.issuer_cn, c.issuer_o, c.issuer_ou, c.issuer_c);
  Field(out, "serial_number", c.serial_hex);
  Key(out, "validity");
  out->push_back('{');
  Field(out, "start", FormatTimeUs(c.not_before * 1000000));
  Field(out, "end", FormatTimeUs(c.not_after * 1000000));
  out->push_back('}');
  Bool(out, "self_signed", c.self_signed);
  Field(out, "key_algorithm", c.key_algorithm);
  Field(out, "key_bits", uint64_t{c.key_bits});
  Field(out, "signature_algorithm", c.signature_algorithm);
  Field(out, "der_bytes", uint64_t{c.der.size()});
  out->push_back('}');
}

std::string ProbeToJson(const ProbeRecord& r) {
  std::string out = "{";
  Field(&out, "type", "probe");
  Field(&out, "ip", FormatIpv4(r.address));
  if (!r.domain.empty()) Field(&out, "domain", r.domain);
  Field(&out, "port", uint64_t{r.port});
  Field(&out, "protocol", ProtocolName(r.protocol));
  Field(&out, "tls_mode", r.tls_mode == TlsMode::kImplicit ? "implicit" : "starttls");
  Field(&out, "timestamp", FormatTimeUs(r.start_us));
  Field(&out, "status", ZgrabStatus(r.outcome));
  Field(&out, "outcome", OutcomeName(r.outcome));
  Field(&out, "connect_us", uint64_t{r.connect_us});
  Field(&out, "duration_us", uint64_t{r.duration_us});
  Field(&out, "attempts", uint64_t{r.attempts});
  Bool(&out, "starttls_advertised", r.flags & kStartTlsAdvertised);
  Bool(&out, "starttls_accepted", r.flags & kStartTlsAccepted);
  Bool(&out, "tls_ok", r.flags & kTlsHandshakeOk);
  Bool(&out, "plaintext_login_offered", r.flags & kPlaintextLoginOffered);
  Bool(&out, "login_disabled", r.flags & kLoginDisabled);
  Key(&out, "flags");
  out.push_back('[');
  for (int i = 0; i < 32; ++i) {
    if (!(r.flags & (1u << i))) continue;
    if (out.back() != '[') out.push_back(',');
    AppendJsonString(&out, FlagNames(1u << i, ""));
  }
  out.push_back(']');
  Field(&out, "banner", r.banner);
  Field(&out, "capabilities", r.capabilities);
  Field(&out, "capabilities_tls", r.capabilities_tls);
  Field(&out, "auth_mechanisms", r.auth_mechanisms);
  Field(&out, "auth_mechanisms_tls", r.auth_mechanisms_tls);
  if (r.tls.version != 0 || !r.tls.failure.empty() || r.tls.leaf) {
    Key(&out, "tls");
    out.push_back('{');
    Field(&out, "version", TlsVersionName(r.tls.version));
    Field(&out, "cipher_suite", r.tls.cipher);
    Field(&out, "chain_length", uint64_t{r.tls.chain_length});
    if (!r.tls.failure.empty()) Field(&out, "failure", r.tls.failure);
    if (r.tls.leaf) {
      Key(&out, "certificate");
      AppendCertificateJson(&out, *r.tls.leaf);
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

const char* kRecordCsvHeader() {
  return "type,ip,port,protocol,status,ttl,window,timestamp,flags,tls_version,cipher,"
         "cert_sha256,banner,domain,attempts\n";
}

std::string SweepToCsv(const SweepRecord& r) {
  return StrCat("sweep,", FormatIpv4(r.address), ",", r.port, ",,", SweepStatusName(r.status), ",",
                r.ttl, ",", r.window, ",", FormatTimeUs(r.time_us), ",,,,,,,\n");
}

std::string ProbeToCsv(const ProbeRecord& r) {
  return StrCat("probe,", FormatIpv4(r.address), ",", r.port, ",", ProtocolName(r.protocol), ",",
                OutcomeName(r.outcome), ",,,", FormatTimeUs(r.start_us), ",",
                CsvField(FlagNames(r.flags, "|")), ",", TlsVersionName(r.tls.version), ",",
                CsvField(r.tls.cipher), ",",
                r.tls.leaf ? HexLower(r.tls.leaf->sha256) : std::string(), ",", CsvField(r.banner),
                ",", CsvField(r.domain), ",", r.attempts, "\n");
}

}  // namespace mailsweep::results
