// The record-file writer: a RecordSinkFactory over one file in the format of
// results/format/FORMAT.md. Each sink (one per producing thread) encodes records into its own chunk
// buffer (~32 KiB, its own string tables) and seals a full chunk with its identity (the file's
// random id, the sink's writer number, its sequence number: chunk_envelope.h); the sealed chunk is
// handed to the writer under a short lock that only copies it into the shared block stream, and
// bytes reach the kernel in large write(2)s. So there is no system call and no lock per record.
// Close() ends the file with an end record that counts each writer's chunks and records.
//
// Thread rules: Create/Close on the owning thread; NewSink/Flush/Sync from any thread; each sink
// by one thread at a time. Sinks borrow the writer and must be destroyed before it.
//
// Example:
//   MAILSWEEP_ASSIGN_OR_RETURN(auto writer, RecordFileWriter::Create("run.msr", header));
//   std::unique_ptr<RecordSink> sink = writer->NewSink();   // one per thread
//   sink->Add(sweep_record);
//   MAILSWEEP_RETURN_IF_ERROR(sink->Flush());               // durable against kill -9
//   sink.reset();
//   MAILSWEEP_RETURN_IF_ERROR(writer->Close());
#ifndef MAILSWEEP_RESULTS_FORMAT_RECORD_WRITER_H_
#define MAILSWEEP_RESULTS_FORMAT_RECORD_WRITER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "results/format/chunk_envelope.h"
#include "results/format/record_sink.h"
#include "results/format/records.h"

namespace mailsweep::results {

struct WriterOptions {
  // A sink hands its chunk over when it reaches this size. Smaller: less lost per corrupt block
  // and fresher data on disk; larger: better deduplication.
  size_t chunk_bytes = 32 * 1024;
  // Bytes gathered before one write(2) (Flush() writes earlier).
  size_t write_buffer_bytes = 1 << 20;
};

struct WriterStats {
  uint64_t records = 0;
  uint64_t chunks = 0;
  uint64_t bytes = 0;  // file size so far, including the buffered part
};

class RecordFileWriter final : public RecordSinkFactory {
 public:
  // Creates (truncates) `path` and writes the header (format_version and a random file_id are
  // filled in) to the kernel.
  static absl::StatusOr<std::unique_ptr<RecordFileWriter>> Create(const std::string& path,
                                                                  const FileHeader& header,
                                                                  WriterOptions options = {});
  ~RecordFileWriter() override;

  // Thread-safe.
  std::unique_ptr<RecordSink> NewSink() override;

  // Writes every chunk already handed over to the kernel (not the sinks' partial chunks: use
  // RecordSink::Flush for those). Thread-safe.
  absl::Status Flush();
  // Flush() plus fdatasync(2): survives a power loss, not only a crash of the process.
  absl::Status Sync();
  // Writes the end record, flushes and closes the file; returns the first error seen since
  // Create. Sinks must be gone.
  absl::Status Close();

  WriterStats stats() const;
  const std::string& path() const { return path_; }
  uint64_t file_id() const { return file_id_; }

  // For the sinks. Thread-safe: appends one sealed chunk of `records` records from `writer`
  // (a number NewSink gave out) as a logical record; an empty chunk only flushes.
  absl::Status AppendChunk(std::string_view sealed, uint64_t records, uint32_t writer, bool flush);

 private:
  RecordFileWriter(std::string path, int fd, uint64_t file_id, WriterOptions options);
  void AppendLocked(std::string_view chunk);
  void EmitFragmentLocked(uint8_t type, const char* data, size_t n);
  absl::Status WriteOutLocked();

  const std::string path_;
  const uint64_t file_id_;
  const WriterOptions options_;

  mutable std::mutex mu_;
  int fd_;                   // guarded by mu_; -1 once closed
  std::string pending_;      // bytes not yet written
  size_t block_offset_ = 0;  // position inside the current block
  uint64_t written_ = 0;     // bytes handed to the kernel
  absl::Status status_;      // first error
  WriterStats stats_;
  std::vector<WriterTally> tallies_;  // per writer number - 1, for the end record
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_RECORD_WRITER_H_
