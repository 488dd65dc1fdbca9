// The record-file reader (results/format/FORMAT.md): maps a file, checks every fragment's CRC,
// reports corruption (file, offset, bytes dropped, reason) and resumes at the next block, and
// decodes chunks into records for a RecordVisitor. It never crashes or loops on any input
// (tests/results/format/record_reader_fuzz.cc). Used by mailsweep-agg and the tests.
//
// Thread rules: after Open, Scan() is const and may run concurrently on disjoint block ranges
// (that is how mailsweep-agg reads one big file on several cores).
//
// Example:
//   MAILSWEEP_ASSIGN_OR_RETURN(auto reader, RecordFileReader::Open("run.msr"));
//   ReadStats stats = reader->Scan(&visitor, [](const Corruption& c) { ... });
#ifndef MAILSWEEP_RESULTS_FORMAT_RECORD_READER_H_
#define MAILSWEEP_RESULTS_FORMAT_RECORD_READER_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "results/format/chunk_decoder.h"
#include "results/format/chunk_index.h"
#include "results/format/records.h"

namespace mailsweep::results {

struct Corruption {
  std::string file;
  uint64_t offset = 0;     // file offset where the dropped bytes start
  uint64_t bytes = 0;      // how many bytes were dropped
  std::string reason;      // "checksum mismatch", "truncated tail", ...
  bool torn_tail = false;  // the end of a file whose writer died: expected after kill -9
                           // (kTornTail, kNotClosed); not counted in ReadStats::corruptions
  Damage kind = Damage::kDamaged;
};
using CorruptionFn = std::function<void(const Corruption&)>;

struct ReadStats {
  uint64_t chunks = 0;
  uint64_t sweep_records = 0;
  uint64_t probe_records = 0;
  uint64_t certificates = 0;
  uint64_t corruptions = 0;      // events, torn tails and "not closed" not included
  uint64_t dropped_bytes = 0;    // by corruption
  uint64_t torn_tail_bytes = 0;  // at the end of the file

  void Add(const ReadStats& o);
};

class RecordFileReader {
 public:
  // Maps `path` and decodes its header. kDataLoss for an empty file, a file that is not a record
  // file or whose header chunk is damaged; kUnimplemented for a file from a newer format.
  static absl::StatusOr<std::unique_ptr<RecordFileReader>> Open(const std::string& path);
  // The same over bytes in memory (fuzzing, tests); `name` is used in reports.
  static absl::StatusOr<std::unique_ptr<RecordFileReader>> FromBuffer(std::string name,
                                                                      std::string data);
  ~RecordFileReader();
  RecordFileReader(const RecordFileReader&) = delete;
  RecordFileReader& operator=(const RecordFileReader&) = delete;

  const FileHeader& header() const { return header_; }
  // Version 6 and later: whether the file ends with its end record (FORMAT.md 2.4).
  bool closed() const { return index_.closed(); }
  const std::string& name() const { return name_; }
  uint64_t size() const { return data_.size(); }
  uint64_t blocks() const;

  // Visits every record of the chunks whose first fragment starts in blocks
  // [begin_block, end_block). `on_corruption` may be empty. Thread-safe (const).
  ReadStats Scan(RecordVisitor* visitor, const CorruptionFn& on_corruption,
                 uint64_t begin_block = 0,
                 uint64_t end_block = std::numeric_limits<uint64_t>::max()) const;

 private:
  RecordFileReader(std::string name, std::string_view data, void* map, std::string owned);
  absl::Status ReadHeader();

  std::string name_;
  std::string_view data_;
  void* map_ = nullptr;  // owned mmap region, or nullptr
  std::string owned_;    // FromBuffer's bytes
  FileHeader header_;
  ChunkIndex index_;  // version 6 and later
};

// Turns ProbeViews into ProbeRecords with tls.leaf resolved from the certificates seen so far
// in the same file. A leaf whose certificate definition was lost keeps only its sha256, with
// CertificateFacts::lost set, and is counted in lost_definitions(): facts of a certificate are
// never made up. One per reading thread; read a file in order (one Scan) with it.
class MaterializingVisitor : public RecordVisitor {
 public:
  // Records whose certificate definition was not found.
  uint64_t lost_definitions() const { return lost_definitions_; }

  std::function<void(const SweepRecord&)> on_sweep;
  std::function<void(const ProbeRecord&)> on_probe;
  std::function<void(const CertificateFacts&)> on_certificate;

  void OnSweep(const SweepRecord& r) override;
  void OnProbe(const ProbeView& v) override;
  void OnCertificate(const CertificateFacts& c) override;

 private:
  absl::flat_hash_map<std::string, CertificateFacts> certs_;
  ProbeRecord record_;
  uint64_t lost_definitions_ = 0;
};

// The report of `records` records whose certificate definition was lost
// (MaterializingVisitor::lost_definitions()).
Corruption LostDefinitions(const std::string& file, uint64_t records);

// Everything in one file, for tests and small tools; a lost certificate definition is one of
// its corruptions.
struct FileContents {
  FileHeader header;
  std::vector<SweepRecord> sweeps;
  std::vector<ProbeRecord> probes;
  std::vector<Corruption> corruptions;
  ReadStats stats;
};
absl::StatusOr<FileContents> ReadFileContents(const std::string& path);
absl::StatusOr<FileContents> ReadBufferContents(std::string name, std::string data);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_RECORD_READER_H_
