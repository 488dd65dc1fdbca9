#include "engine/text_record_sink.h"

#include <errno.h>

#include <cstring>
#include <ctime>

#include "base/strings.h"
#include "probes/session.h"
#include "targets/ipv4.h"

namespace mailsweep::engine {
namespace {

// Appends `s` as a JSON string. Invalid UTF-8 bytes are escaped as \u00XX (read as Latin-1) so
// the output stays valid JSON whatever a server sends.
void JsonString(std::string* out, std::string_view s) {
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

void Key(std::string* out, const char* key) {
  if (out->back() != '{') out->push_back(',');
  out->push_back('"');
  *out += key;
  *out += "\":";
}
void Field(std::string* out, const char* key, std::string_view value) {
  Key(out, key);
  JsonString(out, value);
}
void Field(std::string* out, const char* key, uint64_t value) {
  Key(out, key);
  StrAppend(out, value);
}
void Field(std::string* out, const char* key, int64_t value) {
  Key(out, key);
  StrAppend(out, value);
}
void Bool(std::string* out, const char* key, bool value) {
  Key(out, key);
  *out += value ? "true" : "false";
}

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * N);
  for (uint8_t b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

// Unix microseconds as UTC in strftime's `format` (whole seconds).
std::string UtcTime(int64_t unix_us, const char* format) {
  time_t secs = static_cast<time_t>(unix_us / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  strftime(buf, sizeof(buf), format, &tm);
  return buf;
}
std::string Rfc3339(int64_t unix_us) { return UtcTime(unix_us, "%Y-%m-%dT%H:%M:%SZ"); }
std::string ShadowTime(int64_t unix_us) { return UtcTime(unix_us, "%Y-%m-%d %H:%M:%S"); }

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

// CSV cell: quoted when it holds a comma, quote or line break.
void CsvCell(std::string* out, std::string_view s) {
  if (!out->empty() && out->back() != '\n') out->push_back(',');
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string JoinBanner(std::string_view banner) {
  std::string out;
  size_t start = 0;
  while (start < banner.size()) {
    size_t nl = banner.find("\r\n", start);
    std::string_view line =
        banner.substr(start, nl == std::string_view::npos ? banner.npos : nl - start);
    if (!out.empty()) out.push_back('|');
    for (char c : line) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
    if (nl == std::string_view::npos) break;
    start = nl + 2;
  }
  return out;
}

class TextSink : public results::RecordSink {
 public:
  TextSink(TextRecordSinkFactory* factory, TextFormat format)
      : factory_(factory), format_(format) {}
  ~TextSink() override { (void)Flush(); }

  void Add(const results::SweepRecord& r) override {
    buf_ += SweepRecordToJson(r);
    buf_.push_back('\n');
    MaybeWrite();
  }
  void Add(const results::ProbeRecord& r) override {
    buf_ += format_ == TextFormat::kCsv ? ProbeRecordToCsv(r) : ProbeRecordToJson(r);
    buf_.push_back('\n');
    MaybeWrite();
  }
  absl::Status Flush() override {
    absl::Status s = factory_->Write(buf_, true);
    buf_.clear();
    if (!s.ok()) status_ = s;
    return status_;
  }

 private:
  void MaybeWrite() {
    if (buf_.size() < 64 * 1024) return;
    absl::Status s = factory_->Write(buf_, false);
    buf_.clear();
    if (!s.ok()) status_ = s;
  }
  TextRecordSinkFactory* factory_;
  TextFormat format_;
  std::string buf_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<TextFormat> ParseTextFormat(std::string_view name) {
  if (name == "json" || name == "jsonl") return TextFormat::kJsonLines;
  if (name == "csv") return TextFormat::kCsv;
  return absl::InvalidArgumentError(StrCat("unknown output format '", name, "' (json, csv)"));
}

const char* CsvHeader() {
  return "timestamp,ip,port,protocol,outcome,starttls_advertised,starttls_accepted,tls_ok,"
         "plaintext_login,handshake,cipher_suite,cert_sha256,subject_common_name,"
         "issuer_common_name,self_signed,cert_expiration_date,capabilities,capabilities_tls,"
         "auth_mechanisms,flags,connect_us,duration_us,banner";
}

std::string ProbeRecordToCsv(const results::ProbeRecord& r) {
  std::string out;
  auto yn = [&](uint32_t flag) { CsvCell(&out, (r.flags & flag) ? "Y" : "N"); };
  CsvCell(&out, ShadowTime(r.start_us));
  CsvCell(&out, targets::FormatIpv4(r.address));
  CsvCell(&out, StrCat(r.port));
  CsvCell(&out, results::ProtocolName(r.protocol));
  CsvCell(&out, results::OutcomeName(r.outcome));
  yn(results::kStartTlsAdvertised);
  yn(results::kStartTlsAccepted);
  yn(results::kTlsHandshakeOk);
  yn(results::kPlaintextLoginOffered);
  CsvCell(&out, results::TlsVersionName(r.tls.version));
  CsvCell(&out, r.tls.cipher);
  const bool leaf = r.tls.leaf.has_value();
  CsvCell(&out, leaf ? Hex(r.tls.leaf->sha256) : "");
  CsvCell(&out, leaf ? r.tls.leaf->subject_cn : "");
  CsvCell(&out, leaf ? r.tls.leaf->issuer_cn : "");
  CsvCell(&out, leaf ? (r.tls.leaf->self_signed ? "Y" : "N") : "");
  CsvCell(&out, leaf ? ShadowTime(r.tls.leaf->not_after * 1000000) : "");
  CsvCell(&out, r.capabilities);
  CsvCell(&out, r.capabilities_tls);
  CsvCell(&out, r.auth_mechanisms);
  CsvCell(&out, probes::FlagNames(r.flags));
  CsvCell(&out, StrCat(r.connect_us));
  CsvCell(&out, StrCat(r.duration_us));
  CsvCell(&out, JoinBanner(r.banner));
  return out;
}

std::string ProbeRecordToJson(const results::ProbeRecord& r) {
  std::string out = "{";
  Field(&out, "ip", targets::FormatIpv4(r.address));
  Field(&out, "port", uint64_t{r.port});
  Field(&out, "protocol", results::ProtocolName(r.protocol));
  Field(&out, "tls_mode", r.tls_mode == results::TlsMode::kImplicit ? "implicit" : "starttls");
  Field(&out, "outcome", results::OutcomeName(r.outcome));
  Field(&out, "timestamp", Rfc3339(r.start_us));
  Field(&out, "start_us", r.start_us);
  Field(&out, "connect_us", uint64_t{r.connect_us});
  Field(&out, "duration_us", uint64_t{r.duration_us});
  Bool(&out, "starttls_advertised", r.flags & results::kStartTlsAdvertised);
  Bool(&out, "starttls_accepted", r.flags & results::kStartTlsAccepted);
  Bool(&out, "tls_ok", r.flags & results::kTlsHandshakeOk);
  Bool(&out, "plaintext_login_offered", r.flags & results::kPlaintextLoginOffered);
  Bool(&out, "login_disabled", r.flags & results::kLoginDisabled);
  Field(&out, "flags", probes::FlagNames(r.flags));
  Field(&out, "banner", r.banner);
  Field(&out, "capabilities", r.capabilities);
  Field(&out, "capabilities_tls", r.capabilities_tls);
  Field(&out, "auth_mechanisms", r.auth_mechanisms);
  Field(&out, "auth_mechanisms_tls", r.auth_mechanisms_tls);
  if (r.tls.version != 0 || !r.tls.failure.empty()) {
    Key(&out, "tls");
    out.push_back('{');
    Field(&out, "version", results::TlsVersionName(r.tls.version));
    Field(&out, "cipher_suite", r.tls.cipher);
    Field(&out, "chain_length", uint64_t{r.tls.chain_length});
    if (!r.tls.failure.empty()) Field(&out, "failure", r.tls.failure);
    if (r.tls.leaf) {
      const results::CertificateFacts& c = *r.tls.leaf;
      Key(&out, "certificate");
      out.push_back('{');
      Field(&out, "fingerprint_sha256", Hex(c.sha256));
      Field(&out, "fingerprint_sha1", Hex(c.sha1));
      Field(&out, "fingerprint_md5", Hex(c.md5));
      Name(&out, "subject", c.subject_cn, c.subject_o, c.subject_ou, c.subject_c);
      Name(&out, "issuer", c.issuer_cn, c.issuer_o, c.issuer_ou, c.issuer_c);
      Field(&out, "serial_number", c.serial_hex);
      Key(&out, "validity");
      out.push_back('{');
      Field(&out, "start", Rfc3339(c.not_before * 1000000));
      Field(&out, "end", Rfc3339(c.not_after * 1000000));
      out.push_back('}');
      Bool(&out, "self_signed", c.self_signed);
      Field(&out, "key_algorithm", c.key_algorithm);
      Field(&out, "key_bits", uint64_t{c.key_bits});
      Field(&out, "signature_algorithm", c.signature_algorithm);
      out.push_back('}');
    }
    out.push_back('}');
  }
  out.push_back('}');
  return out;
}

std::string SweepRecordToJson(const results::SweepRecord& r) {
  std::string out = "{";
  Field(&out, "ip", targets::FormatIpv4(r.address));
  Field(&out, "port", uint64_t{r.port});
  Field(&out, "status", results::SweepStatusName(r.status));
  Field(&out, "ttl", uint64_t{r.ttl});
  Field(&out, "window", uint64_t{r.window});
  Field(&out, "time_us", r.time_us);
  out.push_back('}');
  return out;
}

TextRecordSinkFactory::TextRecordSinkFactory(FILE* out, TextFormat format)
    : out_(out), format_(format) {
  if (format_ == TextFormat::kCsv) {
    fputs(CsvHeader(), out_);
    fputc('\n', out_);
  }
}

std::unique_ptr<results::RecordSink> TextRecordSinkFactory::NewSink() {
  return std::make_unique<TextSink>(this, format_);
}

absl::Status TextRecordSinkFactory::Write(const std::string& text, bool flush) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!text.empty() && fwrite(text.data(), 1, text.size(), out_) != text.size()) failed_ = true;
  if (flush && fflush(out_) != 0) failed_ = true;
  if (failed_) return absl::UnavailableError(StrCat("writing records: ", strerror(errno)));
  return absl::OkStatus();
}

}  // namespace mailsweep::engine
