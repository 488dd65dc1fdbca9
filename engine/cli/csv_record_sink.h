// A text RecordSink for `mailsweep sweep -o FILE`: one CSV line per SweepRecord,
//   ip,port,status,ttl,window,ts        (ts: Unix seconds with microseconds)
//   198.18.0.7,143,open,64,65483,1764403200.123456
// with a header line first. ProbeRecords are not written (the prober has its own output). Writes
// through a 64 KiB buffer, so Add() makes no system call. Until the binary record files land this
// is the sweeper's output; afterwards it stays as the human-readable option.
//
// Used by one thread at a time (the RecordSink rule).
#ifndef MAILSWEEP_ENGINE_CLI_CSV_RECORD_SINK_H_
#define MAILSWEEP_ENGINE_CLI_CSV_RECORD_SINK_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "results/format/record_sink.h"

namespace mailsweep::engine {

class CsvRecordSink final : public results::RecordSink {
 public:
  // "-" is standard output.
  static absl::StatusOr<std::unique_ptr<CsvRecordSink>> Open(const std::string& path);
  ~CsvRecordSink() override;

  void Add(const results::SweepRecord& record) override;
  void Add(const results::ProbeRecord& record) override;
  absl::Status Flush() override;

  // Formats one line (with '\n') into `out` (room for 80 bytes); returns its length.
  static size_t FormatLine(const results::SweepRecord& record, char* out);

 private:
  CsvRecordSink(FILE* f, std::string path, bool owned)
      : f_(f), path_(std::move(path)), owned_(owned) {}
  void WriteBuffer();

  FILE* f_;
  std::string path_;
  bool owned_;
  bool failed_ = false;
  char buf_[1 << 16];
  size_t used_ = 0;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_CSV_RECORD_SINK_H_
