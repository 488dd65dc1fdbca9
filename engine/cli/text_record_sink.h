// Text outputs of `mailsweep probe`, `scan` and `sweep` when asked for text: JSON lines in the
// one schema of results/format/record_text.h (shared with `mailsweep-agg dump`), and the probe CSV
// (columns after ShadowServer's reports: Y/N booleans, multi-line banners joined with '|').
//
// Thread rules: the factory is thread-safe; each sink it hands out belongs to one thread and
// buffers its records, writing to the shared FILE under a mutex once per 64 KiB or Flush().
//
// Example:
//   TextRecordSinkFactory sinks(stdout, TextFormat::kJsonLines);
//   auto sink = sinks.NewSink();
//   sink->Add(record); (void)sink->Flush();
#ifndef MAILSWEEP_ENGINE_CLI_TEXT_RECORD_SINK_H_
#define MAILSWEEP_ENGINE_CLI_TEXT_RECORD_SINK_H_

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "results/format/record_sink.h"

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

// One probe record as a CSV row (no trailing newline), exposed for tests.
std::string ProbeRecordToCsv(const results::ProbeRecord& r);
const char* CsvHeader();

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_TEXT_RECORD_SINK_H_
