#include "engine/cli/csv_record_sink.h"

#include <errno.h>

#include <cstring>

#include "base/strings.h"
#include "base/text_format.h"

namespace mailsweep::engine {

absl::StatusOr<std::unique_ptr<CsvRecordSink>> CsvRecordSink::Open(const std::string& path) {
  FILE* f = path == "-" ? stdout : fopen(path.c_str(), "w");
  if (f == nullptr) {
    const int err = errno;
    return absl::UnavailableError(StrCat(path, ": ", strerror(err)));
  }
  std::unique_ptr<CsvRecordSink> sink(new CsvRecordSink(f, path, path != "-"));
  static constexpr char kHeader[] = "ip,port,status,ttl,window,ts\n";
  memcpy(sink->buf_, kHeader, sizeof(kHeader) - 1);
  sink->used_ = sizeof(kHeader) - 1;
  return sink;
}

CsvRecordSink::~CsvRecordSink() {
  (void)Flush();
  if (owned_) fclose(f_);
}

size_t CsvRecordSink::FormatLine(const results::SweepRecord& r, char* out) {
  char* p = out;
  p += FormatIpv4To(r.address, p);
  const int64_t secs = r.time_us / 1000000;
  const int64_t micros = r.time_us % 1000000;
  const int n = snprintf(p, 64, ",%u,%s,%u,%u,%lld.%06lld\n", unsigned{r.port},
                         results::SweepStatusName(r.status), unsigned{r.ttl}, unsigned{r.window},
                         static_cast<long long>(secs), static_cast<long long>(micros));
  return static_cast<size_t>(p - out) + static_cast<size_t>(n);
}

void CsvRecordSink::Add(const results::SweepRecord& record) {
  if (used_ + 96 > sizeof(buf_)) WriteBuffer();
  used_ += FormatLine(record, buf_ + used_);
}

void CsvRecordSink::Add(const results::ProbeRecord&) {}

void CsvRecordSink::WriteBuffer() {
  if (used_ > 0 && fwrite(buf_, 1, used_, f_) != used_) failed_ = true;
  used_ = 0;
}

absl::Status CsvRecordSink::Flush() {
  WriteBuffer();
  if (fflush(f_) != 0) failed_ = true;
  if (failed_) return absl::DataLossError(StrCat(path_, ": write failed"));
  return absl::OkStatus();
}

}  // namespace mailsweep::engine
