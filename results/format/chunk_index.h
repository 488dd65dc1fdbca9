// The chunk index of a sealed record file (format version 6, FORMAT.md section 2.4): one pass over
// the fragment headers that reads every chunk's identity (chunk_envelope.h) without checking
// the chunks themselves, then decides for the whole file which chunk is a duplicate of an earlier
// one, which is out of its writer's order, which chunks are missing (gaps in a writer's
// sequence, or fewer than the end record counts) and whether the file was closed. Readers of
// block ranges consult it so that every range decides alike: a duplicate is dropped by whichever
// range holds it, and each finding is reported by the range that holds its offset.
// Built once by RecordFileReader::Open (record_reader.h); read-only afterwards, so shared by
// reading threads without locks. No I/O: it works on the mapped bytes.
#ifndef MAILSWEEP_RESULTS_FORMAT_CHUNK_INDEX_H_
#define MAILSWEEP_RESULTS_FORMAT_CHUNK_INDEX_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "results/format/chunk_envelope.h"

namespace mailsweep::results {

// What a reader reports, by kind (Corruption::kind in record_reader.h).
enum class Damage : uint8_t {
  kDamaged,         // bytes fail a check (fragment or chunk checksum, framing): dropped
  kMalformed,       // a chunk whose checksums hold but whose content does not decode
  kForeign,         // a chunk of another file (another file id): dropped
  kDuplicate,       // a second copy of a chunk already in the file: dropped
  kMissing,         // chunks a writer wrote that are not in the file
  kOutOfOrder,      // a chunk before an earlier chunk of its writer: its records are kept
  kNotClosed,       // no end record: the writer did not finish (expected after kill -9)
  kTornTail,        // the file ends inside a chunk (expected after kill -9)
  kLostDefinition,  // a record refers to a certificate whose definition is not in the file
};
const char* DamageName(Damage d);

class ChunkIndex {
 public:
  // A finding about the file as a whole, placed at the offset of the chunk it concerns (the
  // file's size for kNotClosed).
  struct Finding {
    uint64_t offset = 0;
    Damage kind = Damage::kMissing;
    std::string reason;
  };

  ChunkIndex() = default;
  // Indexes the chunks after the header chunk of `data`, a file whose header says `file_id`.
  ChunkIndex(std::string_view data, uint64_t file_id);

  enum class Verdict : uint8_t {
    kKeep,       // the first copy of a chunk of this file (possibly out of order)
    kDuplicate,  // a later copy: keep it only when no earlier copy is intact
    kUnknown,    // not in the index (unreadable identity, another file): the reader decides
  };
  // The verdict for the chunk whose first fragment starts at `offset`. For kDuplicate,
  // *earlier is the offsets of the earlier copies, in file order: the reader keeps this copy only
  // when none of them reads intact (a damaged first copy must not cost an intact second one).
  Verdict VerdictAt(uint64_t offset, std::span<const uint64_t>* earlier) const;

  // Sorted by offset.
  const std::vector<Finding>& findings() const { return findings_; }
  bool closed() const { return closed_; }
  // The end record's tallies (empty when not closed).
  const std::vector<WriterTally>& tallies() const { return tallies_; }

 private:
  struct Entry {
    uint64_t offset;
    ChunkId id;
    Verdict verdict;
    uint64_t first;  // the offset of the first copy
  };
  void Walk(std::string_view data);
  void Analyse(uint64_t file_id, uint64_t file_size);

  std::vector<Entry> entries_;  // chunks with a readable identity, by offset
  std::vector<std::string> end_chunks_;  // sealed chunks of writer 0, in file order
  std::vector<uint64_t> end_offsets_;
  std::vector<Finding> findings_;
  // For each chunk with more than one copy, by the first copy's offset: every copy's offset.
  absl::flat_hash_map<uint64_t, std::vector<uint64_t>> copies_;
  std::vector<WriterTally> tallies_;
  bool closed_ = false;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_CHUNK_INDEX_H_
