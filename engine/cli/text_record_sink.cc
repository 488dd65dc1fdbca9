#include "engine/cli/text_record_sink.h"

#include <errno.h>

#include <cstring>

#include "base/strings.h"
#include "base/text_format.h"
#include "results/format/record_text.h"

namespace mailsweep::engine {
namespace {

// Unix microseconds as "YYYY-MM-DD HH:MM:SS" UTC (whole seconds), as ShadowServer writes it.
std::string ShadowTime(int64_t unix_us) { return FormatUtc(unix_us / 1000000); }

// One CSV cell after the ones already in `out` (quoted when it holds a comma, quote or break).
void CsvCell(std::string* out, std::string_view s) {
  if (!out->empty() && out->back() != '\n') out->push_back(',');
  out->append(CsvField(s));
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
    buf_ += results::SweepToJson(r);
    buf_.push_back('\n');
    MaybeWrite();
  }
  void Add(const results::ProbeRecord& r) override {
    buf_ += format_ == TextFormat::kCsv ? ProbeRecordToCsv(r) : results::ProbeToJson(r);
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
         "auth_mechanisms,flags,connect_us,duration_us,banner,domain,attempts";
}

std::string ProbeRecordToCsv(const results::ProbeRecord& r) {
  std::string out;
  auto yn = [&](uint32_t flag) { CsvCell(&out, (r.flags & flag) ? "Y" : "N"); };
  CsvCell(&out, ShadowTime(r.start_us));
  CsvCell(&out, FormatIpv4(r.address));
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
  CsvCell(&out, leaf ? HexLower(r.tls.leaf->sha256) : "");
  CsvCell(&out, leaf ? r.tls.leaf->subject_cn : "");
  CsvCell(&out, leaf ? r.tls.leaf->issuer_cn : "");
  CsvCell(&out, leaf ? (r.tls.leaf->self_signed ? "Y" : "N") : "");
  CsvCell(&out, leaf ? ShadowTime(r.tls.leaf->not_after * 1000000) : "");
  CsvCell(&out, r.capabilities);
  CsvCell(&out, r.capabilities_tls);
  CsvCell(&out, r.auth_mechanisms);
  CsvCell(&out, results::FlagNames(r.flags, "|"));
  CsvCell(&out, StrCat(r.connect_us));
  CsvCell(&out, StrCat(r.duration_us));
  CsvCell(&out, JoinBanner(r.banner));
  CsvCell(&out, r.domain);
  CsvCell(&out, StrCat(r.attempts));
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
