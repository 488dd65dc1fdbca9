#include "results/format/record_writer.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"
#include "results/format/coding.h"
#include "results/format/crc32c.h"
#include "results/format/log_format.h"
#include "results/format/chunk_encoder.h"
#include "results/format/header_chunk.h"

namespace mailsweep::results {
namespace {

class FileSink final : public RecordSink {
 public:
  FileSink(RecordFileWriter* writer, uint32_t number, size_t chunk_bytes)
      : writer_(writer), number_(number), chunk_bytes_(chunk_bytes) {}
  ~FileSink() override {
    // Errors are kept by the writer and returned by its Close().
    (void)HandOver(false);
  }

  void Add(const SweepRecord& r) override {
    encoder_.Add(r);
    if (encoder_.size() >= chunk_bytes_) (void)HandOver(false);
  }
  void Add(const ProbeRecord& r) override {
    encoder_.Add(r);
    if (encoder_.size() >= chunk_bytes_) (void)HandOver(false);
  }
  absl::Status Flush() override { return HandOver(true); }

 private:
  absl::Status HandOver(bool flush) {
    if (encoder_.empty() && !flush) return absl::OkStatus();
    sealed_.clear();
    if (!encoder_.empty()) {
      SealChunk({writer_->file_id(), number_, ++seq_}, encoder_.data(), &sealed_);
    }
    absl::Status s = writer_->AppendChunk(sealed_, encoder_.records(), number_, flush);
    encoder_.Reset();
    return s;
  }

  RecordFileWriter* const writer_;
  const uint32_t number_;  // this sink's writer number in chunk identities
  const size_t chunk_bytes_;
  uint64_t seq_ = 0;  // chunks handed over
  ChunkEncoder encoder_;
  std::string sealed_;
};

}  // namespace

RecordFileWriter::RecordFileWriter(std::string path, int fd, uint64_t file_id,
                                   WriterOptions options)
    : path_(std::move(path)), file_id_(file_id), options_(options), fd_(fd) {}

RecordFileWriter::~RecordFileWriter() { (void)Close(); }

absl::StatusOr<std::unique_ptr<RecordFileWriter>> RecordFileWriter::Create(const std::string& path,
                                                                           const FileHeader& header,
                                                                           WriterOptions options) {
  FileHeader h = header;
  do {
    if (getrandom(&h.file_id, sizeof(h.file_id), 0) != sizeof(h.file_id)) {
      int err = errno;
      return absl::UnavailableError(StrCat(path, ": no random file id: ", strerror(err)));
    }
  } while (h.file_id == 0);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    return absl::UnavailableError(StrCat(path, ": cannot create: ", strerror(err)));
  }
  std::unique_ptr<RecordFileWriter> w(new RecordFileWriter(path, fd, h.file_id, options));
  std::lock_guard<std::mutex> lock(w->mu_);
  w->AppendLocked(EncodeHeaderChunk(h));
  absl::Status s = w->WriteOutLocked();
  if (!s.ok()) return s;
  return w;
}

std::unique_ptr<RecordSink> RecordFileWriter::NewSink() {
  std::lock_guard<std::mutex> lock(mu_);
  tallies_.emplace_back();
  return std::make_unique<FileSink>(this, static_cast<uint32_t>(tallies_.size()),
                                    options_.chunk_bytes);
}

void RecordFileWriter::EmitFragmentLocked(uint8_t type, const char* data, size_t n) {
  char header[log::kHeaderSize];
  uint32_t crc = crc32c::Extend(crc32c::Value(reinterpret_cast<const char*>(&type), 1), data, n);
  EncodeFixed32(header, crc32c::Mask(crc));
  EncodeFixed16(header + 4, static_cast<uint16_t>(n));
  header[6] = static_cast<char>(type);
  pending_.append(header, log::kHeaderSize);
  pending_.append(data, n);
  block_offset_ += log::kHeaderSize + n;
}

absl::Status RecordFileWriter::AppendChunk(std::string_view sealed, uint64_t records,
                                           uint32_t writer, bool flush) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) {
    if (status_.ok()) status_ = absl::FailedPreconditionError(StrCat(path_, ": writer closed"));
    return status_;
  }
  if (!sealed.empty()) {
    AppendLocked(sealed);
    stats_.records += records;
    WriterTally& t = tallies_.at(writer - 1);
    ++t.chunks;
    t.records += records;
  }
  if (flush || pending_.size() >= options_.write_buffer_bytes) {
    absl::Status s = WriteOutLocked();
    if (!s.ok()) return s;
  }
  return status_;
}

void RecordFileWriter::AppendLocked(std::string_view chunk) {
  // leveldb's fragmentation: fill the current block, zero its trailer when fewer than
  // kHeaderSize bytes remain.
  const char* p = chunk.data();
  size_t left = chunk.size();
  bool begin = true;
  do {
    size_t leftover = log::kBlockSize - block_offset_;
    if (leftover < log::kHeaderSize) {
      pending_.append(leftover, '\0');
      block_offset_ = 0;
    }
    size_t avail = log::kBlockSize - block_offset_ - log::kHeaderSize;
    size_t n = left < avail ? left : avail;
    bool end = n == left;
    uint8_t type = begin && end ? log::kFullType
                   : begin      ? log::kFirstType
                   : end        ? log::kLastType
                                : log::kMiddleType;
    EmitFragmentLocked(type, p, n);
    p += n;
    left -= n;
    begin = false;
  } while (left > 0);
  ++stats_.chunks;
}

absl::Status RecordFileWriter::WriteOutLocked() {
  size_t done = 0;
  while (done < pending_.size() && status_.ok()) {
    ssize_t n = write(fd_, pending_.data() + done, pending_.size() - done);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      status_ = absl::UnavailableError(StrCat(path_, ": write: ", strerror(err)));
      break;
    }
    done += static_cast<size_t>(n);
  }
  written_ += done;
  pending_.erase(0, done);
  return status_;
}

absl::Status RecordFileWriter::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return status_;
  return WriteOutLocked();
}

absl::Status RecordFileWriter::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return status_;
  absl::Status s = WriteOutLocked();
  if (!s.ok()) return s;
  if (fdatasync(fd_) != 0) {
    int err = errno;
    status_ = absl::UnavailableError(StrCat(path_, ": fdatasync: ", strerror(err)));
  }
  return status_;
}

absl::Status RecordFileWriter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return status_;
  std::string end;
  SealChunk({file_id_, 0, 1}, EncodeEndChunk(tallies_), &end);
  AppendLocked(end);
  (void)WriteOutLocked();
  if (close(fd_) != 0 && status_.ok()) {
    int err = errno;
    status_ = absl::UnavailableError(StrCat(path_, ": close: ", strerror(err)));
  }
  fd_ = -1;
  return status_;
}

WriterStats RecordFileWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  WriterStats s = stats_;
  s.bytes = written_ + pending_.size();
  return s;
}

}  // namespace mailsweep::results
