// Encodes records into one records chunk at a time (results/format/FORMAT.md, section Chunks).
// A chunk is self-describing: its own string table, sweep-shape table and certificate-reference
// table, so every chunk decodes alone (parallel readers, corruption recovery); certificate bodies
// are stored once per file and writer thread and referenced by SHA-256. Used by one writer
// thread (RecordFileWriter's sinks, record_writer.h). No I/O.
//
// Example:
//   ChunkEncoder enc;
//   enc.Add(sweep_record);
//   enc.Add(probe_record);
//   write(enc.data());
//   enc.Reset();
#ifndef MAILSWEEP_RESULTS_FORMAT_CHUNK_ENCODER_H_
#define MAILSWEEP_RESULTS_FORMAT_CHUNK_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "results/format/chunk_format.h"
#include "results/format/records.h"

namespace mailsweep::results {

class ChunkEncoder {
 public:
  ChunkEncoder() = default;
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  void Add(const SweepRecord& r);
  // Also writes the certificate body the first time this encoder sees its SHA-256.
  void Add(const ProbeRecord& r);

  bool empty() const { return records_ == 0; }
  size_t size() const { return buf_.size(); }
  uint64_t records() const { return records_; }
  std::string_view data() const { return buf_; }
  // Starts a new chunk. The set of certificates already written survives (per writer thread).
  void Reset();

 private:
  void Begin(int64_t time_us);
  // The zigzag of the step from the previous time in the chunk, which becomes time_us.
  uint64_t TimeStep(int64_t time_us);
  void PutString(std::string_view s);

  std::string buf_;
  uint64_t records_ = 0;
  int64_t last_time_us_ = 0;
  absl::flat_hash_map<std::string, uint32_t> strings_;
  absl::flat_hash_map<uint64_t, uint32_t> shapes_;
  absl::flat_hash_map<std::string, uint32_t> chunk_certs_;  // sha256 bytes -> index
  absl::flat_hash_set<std::string> certs_written_;          // bounded, see Add()
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_CHUNK_ENCODER_H_
