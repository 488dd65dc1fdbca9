// Text outputs for records until the binary record files take over: JSON lines (one object per
// record, field names after ZGrab2's where they mean the same: ip, port, timestamp, banner,
// tls.version, cipher_suite, fingerprint_sha256, subject.common_name, ...) and CSV (columns after
// ShadowServer's reports: Y/N booleans, multi-line banners joined with '|').
//
// Thread rules: the factory is thread-safe; each sink it hands out belongs to one thread and
// buffers its records, writing to the shared FILE under a mutex once per 64 KiB or Flush().
//
// Example:
//   TextRecordSinkFactory sinks(stdout, TextFormat::kJsonLines);
//   auto sink = sinks.NewSink();
//   sink->Add(record); (void)sink->Flush();
#ifndef MAILSWEEP_ENGINE_TEXT_RECORD_SINK_H_
#define MAILSWEEP_ENGINE_TEXT_RECORD_SINK_H_

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "results/record_sink.h"

namespace mailsweep::engine {

enum class TextFormat { kJsonLines, kCsv };

absl::StatusOr<TextFormat> ParseTextFormat(std::string_view name);  // "json" | "csv"

class TextRecordSinkFactory : public results::RecordSinkFactory {
 public:
  // `out` is borrowed and must outlive the factory and its sinks. CSV writes its header line
  // here, once.
  TextRecordSinkFactory(FILE* out, TextFormat format);
  std::unique_ptr<results::RecordSink> NewSink() override;

  // For the sinks: appends `text` to the output and flushes the FILE.
  absl::Status Write(const std::string& text, bool flush);

 private:
  FILE* out_;
  TextFormat format_;
  std::mutex mu_;
  bool failed_ = false;
};

// One record as text (no trailing newline), exposed for tests.
std::string ProbeRecordToJson(const results::ProbeRecord& r);
std::string ProbeRecordToCsv(const results::ProbeRecord& r);
std::string SweepRecordToJson(const results::SweepRecord& r);
const char* CsvHeader();

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_TEXT_RECORD_SINK_H_
