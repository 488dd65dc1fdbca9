#include "results/format/record_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/status_macros.h"
#include "base/strings.h"
#include "fmt/format.h"
#include "results/format/chunk_envelope.h"
#include "results/format/coding.h"
#include "results/format/crc32c.h"
#include "results/format/header_chunk.h"
#include "results/format/log_format.h"

namespace mailsweep::results {
namespace {

// leveldb's log reader over bytes in memory, restricted to the logical records (chunks) whose
// first fragment starts before end_offset. Every step advances the position, so it terminates.
// `sealed` (format 6): the fragments of a chunk that spans several (FIRST, MIDDLE, LAST) are not
// checked one by one, because the chunk's envelope checksum covers all their bytes and the
// caller checks it (OpenChunk); so every byte is checksummed once. FULL fragments are checked.
class LogReader {
 public:
  LogReader(std::string_view data, uint64_t begin_block, uint64_t end_block,
            const std::string* name, const CorruptionFn* report, ReadStats* stats,
            bool sealed = false)
      : data_(data),
        sealed_(sealed),
        pos_(std::min<uint64_t>(begin_block, data.size() / log::kBlockSize + 1) * log::kBlockSize),
        begin_offset_(pos_),
        end_offset_(end_block >= data.size() / log::kBlockSize + 1 ? UINT64_MAX
                                                                   : end_block * log::kBlockSize),
        resyncing_(begin_block > 0),
        name_(name),
        report_(report),
        stats_(stats) {}

  // Returns false at the end of the range or file.
  bool Next(std::string_view* chunk, uint64_t* chunk_offset) {
    scratch_.clear();
    bool in_fragmented = false;
    uint64_t first_offset = 0;
    while (true) {
      if (!in_fragmented && pos_ >= end_offset_) return false;
      std::string_view frag;
      uint64_t offset = pos_;
      int type = ReadPhysical(&frag, &offset);
      switch (type) {
        case log::kFullType:
          if (in_fragmented) Drop(first_offset, scratch_.size(), "chunk without its last fragment");
          resyncing_ = false;
          if (offset >= end_offset_) return false;
          *chunk = frag;
          *chunk_offset = offset;
          return true;
        case log::kFirstType:
          if (in_fragmented) Drop(first_offset, scratch_.size(), "chunk without its last fragment");
          resyncing_ = false;
          if (offset >= end_offset_) return false;
          scratch_.assign(frag);
          in_fragmented = true;
          first_offset = offset;
          break;
        case log::kMiddleType:
          if (resyncing_) break;
          if (!in_fragmented) {
            Drop(offset, frag.size() + log::kHeaderSize, "middle fragment without a first");
          } else {
            scratch_.append(frag);
          }
          break;
        case log::kLastType:
          if (resyncing_) {
            resyncing_ = false;
            break;
          }
          if (!in_fragmented) {
            Drop(offset, frag.size() + log::kHeaderSize, "last fragment without a first");
            break;
          }
          scratch_.append(frag);
          *chunk = scratch_;
          *chunk_offset = first_offset;
          return true;
        case kEof:
          if (in_fragmented) {
            Torn(first_offset, scratch_.size(), "truncated tail: chunk without its last fragment");
          }
          return false;
        case kBad:
          if (in_fragmented) {
            Drop(first_offset, scratch_.size(), "chunk broken by a corrupt fragment");
            in_fragmented = false;
            scratch_.clear();
          }
          break;
      }
    }
  }

  void Drop(uint64_t offset, uint64_t bytes, std::string_view reason,
            Damage kind = Damage::kDamaged) {
    if (offset >= end_offset_) return;  // the next range's reader reports it
    ++stats_->corruptions;
    stats_->dropped_bytes += bytes;
    if (*report_) (*report_)(Corruption{*name_, offset, bytes, std::string(reason), false, kind});
  }
  void Torn(uint64_t offset, uint64_t bytes, const char* reason) {
    if (offset >= end_offset_) return;
    stats_->torn_tail_bytes += bytes;
    if (*report_) (*report_)(Corruption{*name_, offset, bytes, reason, true, Damage::kTornTail});
  }
  // Reads on from `offset` (a fragment's start) to the end of the file.
  void Seek(uint64_t offset) {
    pos_ = offset;
    end_offset_ = UINT64_MAX;
    resyncing_ = false;
  }
  // Whether this reader's range holds `offset` (the file's size belongs to the last range).
  bool Holds(uint64_t offset) const {
    return offset >= begin_offset_ &&
           (offset < end_offset_ || (end_offset_ >= data_.size() && begin_offset_ < data_.size()));
  }

 private:
  enum { kEof = log::kMaxFragmentType + 1, kBad = log::kMaxFragmentType + 2 };

  bool ZerosToEnd(uint64_t from) const {
    return std::all_of(data_.begin() + from, data_.end(), [](char c) { return c == 0; });
  }

  int ReadPhysical(std::string_view* frag, uint64_t* offset) {
    while (true) {
      if (pos_ >= data_.size()) return kEof;
      uint64_t in_block = pos_ % log::kBlockSize;
      uint64_t block_left = log::kBlockSize - in_block;
      uint64_t file_left = data_.size() - pos_;
      if (block_left < log::kHeaderSize) {  // trailer
        pos_ += block_left;
        continue;
      }
      *offset = pos_;
      if (file_left < log::kHeaderSize) {
        Torn(pos_, file_left, "truncated tail: partial fragment header");
        pos_ = data_.size();
        return kEof;
      }
      const char* h = data_.data() + pos_;
      uint32_t length = DecodeFixed16(h + 4);
      uint8_t type = static_cast<uint8_t>(h[6]);
      if (type == log::kZeroType && length == 0 && DecodeFixed32(h) == 0) {
        if (ZerosToEnd(pos_)) {
          Torn(pos_, file_left, "truncated tail: zero-filled");
          pos_ = data_.size();
          return kEof;
        }
        uint64_t n = std::min(block_left, file_left);
        Drop(pos_, n, "zeroed bytes");
        pos_ += n;
        return kBad;
      }
      if (log::kHeaderSize + length > block_left) {
        uint64_t n = std::min(block_left, file_left);
        Drop(pos_, n, "bad fragment length");
        pos_ += n;
        return kBad;
      }
      if (log::kHeaderSize + length > file_left) {
        Torn(pos_, file_left, "truncated tail: partial fragment");
        pos_ = data_.size();
        return kEof;
      }
      const bool unknown = type == log::kZeroType || type > log::kMaxFragmentType;
      const bool check = !sealed_ || type == log::kFullType || unknown;
      const uint32_t expected = crc32c::Unmask(DecodeFixed32(h));
      const uint32_t actual = check ? crc32c::Value(h + 6, 1 + length) : expected;
      if (expected != actual || unknown) {
        // The length may be what is corrupt: drop the rest of the block.
        uint64_t n = std::min(block_left, file_left);
        Drop(pos_, n, expected != actual ? "checksum mismatch" : "unknown fragment type");
        pos_ += n;
        return kBad;
      }
      *frag = std::string_view(h + log::kHeaderSize, length);
      pos_ += log::kHeaderSize + length;
      return type;
    }
  }

  std::string_view data_;
  const bool sealed_;
  uint64_t pos_;
  const uint64_t begin_offset_;
  uint64_t end_offset_;
  bool resyncing_;
  const std::string* name_;
  const CorruptionFn* report_;
  ReadStats* stats_;
  std::string scratch_;
};

std::string HexId(uint64_t id) { return fmt::format("{:016x}", id); }

// Whether the sealed chunk whose first fragment starts at `offset` reads intact, a chunk of this
// file.
bool IntactChunkAt(std::string_view data, const FileHeader& header, uint64_t offset) {
  static const std::string kName;
  static const CorruptionFn kNone;
  ReadStats stats;
  LogReader reader(data, 0, UINT64_MAX, &kName, &kNone, &stats, /*sealed=*/true);
  reader.Seek(offset);
  std::string_view sealed, chunk;
  uint64_t at;
  ChunkId id;
  return reader.Next(&sealed, &at) && at == offset &&
         OpenChunk(sealed, &id, &chunk) == EnvelopeCheck::kOk && id.file_id == header.file_id;
}

// Opens the envelope of the sealed chunk at `offset` into *chunk, or drops the chunk (damaged, of
// another file, a duplicate) and returns false.
bool OpenSealed(LogReader* reader, std::string_view data, const FileHeader& header,
                const ChunkIndex& index, std::string_view sealed, uint64_t offset,
                std::string_view* chunk) {
  ChunkId id;
  switch (OpenChunk(sealed, &id, chunk)) {
    case EnvelopeCheck::kOk:
      break;
    case EnvelopeCheck::kTooShort:
    case EnvelopeCheck::kBadId:
      reader->Drop(offset, sealed.size(), "chunk identity unreadable");
      return false;
    case EnvelopeCheck::kBadChecksum:
      reader->Drop(offset, sealed.size(),
                   "chunk checksum mismatch (damaged, or fragments of different chunks joined)");
      return false;
  }
  if (id.file_id != header.file_id) {
    reader->Drop(offset, sealed.size(),
                 StrCat("chunk of another file (file id ", HexId(id.file_id), ", this file ",
                        HexId(header.file_id), ")"),
                 Damage::kForeign);
    return false;
  }
  std::span<const uint64_t> earlier;
  if (index.VerdictAt(offset, &earlier) == ChunkIndex::Verdict::kDuplicate) {
    for (uint64_t first : earlier) {
      if (!IntactChunkAt(data, header, first)) continue;
      reader->Drop(offset, sealed.size(),
                   StrCat("duplicate of the chunk at offset ", first, " (writer ", id.writer,
                          ", chunk ", id.seq, ")"),
                   Damage::kDuplicate);
      return false;
    }
  }
  if (chunk->empty()) {
    reader->Drop(offset, sealed.size(), "empty chunk", Damage::kMalformed);
    return false;
  }
  return true;
}

}  // namespace

void ReadStats::Add(const ReadStats& o) {
  chunks += o.chunks;
  sweep_records += o.sweep_records;
  probe_records += o.probe_records;
  certificates += o.certificates;
  corruptions += o.corruptions;
  dropped_bytes += o.dropped_bytes;
  torn_tail_bytes += o.torn_tail_bytes;
}

RecordFileReader::RecordFileReader(std::string name, std::string_view data, void* map,
                                   std::string owned)
    : name_(std::move(name)), data_(data), map_(map), owned_(std::move(owned)) {
  if (!map_) data_ = owned_;
}

RecordFileReader::~RecordFileReader() {
  if (map_) munmap(map_, data_.size());
}

uint64_t RecordFileReader::blocks() const {
  return (data_.size() + log::kBlockSize - 1) / log::kBlockSize;
}

absl::StatusOr<std::unique_ptr<RecordFileReader>> RecordFileReader::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return absl::UnavailableError(StrCat(path, ": ", strerror(err)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(StrCat(path, ": ", strerror(err)));
  }
  void* map = nullptr;
  size_t size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      int err = errno;
      close(fd);
      return absl::UnavailableError(StrCat(path, ": mmap: ", strerror(err)));
    }
    madvise(map, size, MADV_SEQUENTIAL);
  }
  close(fd);
  std::unique_ptr<RecordFileReader> r(new RecordFileReader(
      path, std::string_view(static_cast<const char*>(map), map ? size : 0), map, {}));
  MAILSWEEP_RETURN_IF_ERROR(r->ReadHeader());
  return r;
}

absl::StatusOr<std::unique_ptr<RecordFileReader>> RecordFileReader::FromBuffer(std::string name,
                                                                               std::string data) {
  std::unique_ptr<RecordFileReader> r(
      new RecordFileReader(std::move(name), {}, nullptr, std::move(data)));
  MAILSWEEP_RETURN_IF_ERROR(r->ReadHeader());
  return r;
}

absl::Status RecordFileReader::ReadHeader() {
  if (data_.empty()) return absl::DataLossError(StrCat(name_, ": empty file (no file header)"));
  ReadStats stats;
  CorruptionFn none;
  LogReader reader(data_, 0, 1, &name_, &none, &stats);
  std::string_view chunk;
  uint64_t offset;
  if (!reader.Next(&chunk, &offset) || offset != 0) {
    return absl::DataLossError(StrCat(name_, ": no intact file header at offset 0"));
  }
  absl::StatusOr<FileHeader> h = DecodeHeaderChunk(chunk);
  if (!h.ok()) {
    return absl::Status(h.status().code(), StrCat(name_, ": ", ToStd(h.status().message())));
  }
  header_ = *std::move(h);
  if (header_.format_version >= kFirstSealedVersion) index_ = ChunkIndex(data_, header_.file_id);
  return absl::OkStatus();
}

ReadStats RecordFileReader::Scan(RecordVisitor* visitor, const CorruptionFn& on_corruption,
                                 uint64_t begin_block, uint64_t end_block) const {
  ReadStats stats;
  const bool sealed = header_.format_version >= kFirstSealedVersion;
  LogReader reader(data_, begin_block, end_block, &name_, &on_corruption, &stats, sealed);
  ChunkDecoder decoder(header_.format_version);
  std::string_view chunk;
  uint64_t offset;
  std::string error;
  while (reader.Next(&chunk, &offset)) {
    ++stats.chunks;
    if (chunk.empty()) continue;
    if (sealed) {
      if (offset == 0) continue;  // the header chunk
      if (!OpenSealed(&reader, data_, header_, index_, chunk, offset, &chunk)) continue;
    } else if (static_cast<uint8_t>(chunk[0]) == kHeaderChunk) {
      continue;
    }
    if (static_cast<uint8_t>(chunk[0]) == kEndChunk && sealed) continue;  // read by the index
    if (!decoder.Decode(chunk, visitor, &error, &stats.sweep_records, &stats.probe_records,
                        &stats.certificates)) {
      reader.Drop(offset, chunk.size(), StrCat("malformed chunk: ", error), Damage::kMalformed);
    }
  }
  for (const ChunkIndex::Finding& f : index_.findings()) {
    if (!reader.Holds(f.offset)) continue;
    if (f.kind == Damage::kNotClosed) {
      if (on_corruption) on_corruption(Corruption{name_, f.offset, 0, f.reason, true, f.kind});
      continue;
    }
    ++stats.corruptions;
    if (on_corruption) on_corruption(Corruption{name_, f.offset, 0, f.reason, false, f.kind});
  }
  return stats;
}

// ---- MaterializingVisitor ----

void MaterializingVisitor::OnSweep(const SweepRecord& r) {
  if (on_sweep) on_sweep(r);
}

void MaterializingVisitor::OnProbe(const ProbeView& v) {
  ToProbeRecord(v, &record_);
  if (v.cert_sha256) {
    std::string key(reinterpret_cast<const char*>(v.cert_sha256), 32);
    auto it = certs_.find(key);
    if (it != certs_.end()) {
      record_.tls.leaf = it->second;
    } else {
      record_.tls.leaf.emplace();
      std::memcpy(record_.tls.leaf->sha256.data(), v.cert_sha256, 32);
      record_.tls.leaf->lost = true;
      ++lost_definitions_;
    }
  }
  if (on_probe) on_probe(record_);
}

void MaterializingVisitor::OnCertificate(const CertificateFacts& c) {
  certs_.insert_or_assign(
      std::string(reinterpret_cast<const char*>(c.sha256.data()), c.sha256.size()), c);
  if (on_certificate) on_certificate(c);
}

namespace {

absl::StatusOr<FileContents> Contents(absl::StatusOr<std::unique_ptr<RecordFileReader>> reader) {
  if (!reader.ok()) return reader.status();
  FileContents out;
  out.header = (*reader)->header();
  MaterializingVisitor v;
  v.on_sweep = [&](const SweepRecord& r) { out.sweeps.push_back(r); };
  v.on_probe = [&](const ProbeRecord& r) { out.probes.push_back(r); };
  out.stats = (*reader)->Scan(&v, [&](const Corruption& c) { out.corruptions.push_back(c); });
  if (v.lost_definitions() > 0) {
    ++out.stats.corruptions;
    out.corruptions.push_back(LostDefinitions((*reader)->name(), v.lost_definitions()));
  }
  return out;
}

}  // namespace

Corruption LostDefinitions(const std::string& file, uint64_t records) {
  return Corruption{file, 0, 0,
                    StrCat(records, " probe record(s) refer to a certificate whose definition is ",
                           "not in the file: only its SHA-256 is known"),
                    false, Damage::kLostDefinition};
}

absl::StatusOr<FileContents> ReadFileContents(const std::string& path) {
  return Contents(RecordFileReader::Open(path));
}

absl::StatusOr<FileContents> ReadBufferContents(std::string name, std::string data) {
  return Contents(RecordFileReader::FromBuffer(std::move(name), std::move(data)));
}

}  // namespace mailsweep::results
