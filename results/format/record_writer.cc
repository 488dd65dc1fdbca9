#include "results/format/record_writer.h"

#include <fcntl.h>
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
  FileSink(RecordFileWriter* writer, size_t chunk_bytes)
      : writer_(writer), chunk_bytes_(chunk_bytes) {}
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
    absl::Status s;
    if (!encoder_.empty() || flush) {
      s = writer_->AppendChunk(encoder_.empty() ? std::string_view() : encoder_.data(),
                               encoder_.records(), flush);
      encoder_.Reset();
    }
    return s;
  }

  RecordFileWriter* const writer_;
  const size_t chunk_bytes_;
  ChunkEncoder encoder_;
};

}  // namespace

RecordFileWriter::RecordFileWriter(std::string path, int fd, WriterOptions options)
    : path_(std::move(path)), options_(options), fd_(fd) {}

RecordFileWriter::~RecordFileWriter() { (void)Close(); }

absl::StatusOr<std::unique_ptr<RecordFileWriter>> RecordFileWriter::Create(const std::string& path,
                                                                           const FileHeader& header,
                                                                           WriterOptions options) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    return absl::UnavailableError(StrCat(path, ": cannot create: ", strerror(err)));
  }
  std::unique_ptr<RecordFileWriter> w(new RecordFileWriter(path, fd, options));
  std::string chunk = EncodeHeaderChunk(header);
  absl::Status s = w->AppendChunk(chunk, 0, true);
  if (!s.ok()) return s;
  return w;
}

std::unique_ptr<RecordSink> RecordFileWriter::NewSink() {
  return std::make_unique<FileSink>(this, options_.chunk_bytes);
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

absl::Status RecordFileWriter::AppendChunk(std::string_view chunk, uint64_t records, bool flush) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) {
    if (status_.ok()) status_ = absl::FailedPreconditionError(StrCat(path_, ": writer closed"));
    return status_;
  }
  if (!chunk.empty()) {
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
    stats_.records += records;
    ++stats_.chunks;
  }
  if (flush || pending_.size() >= options_.write_buffer_bytes) {
    absl::Status s = WriteOutLocked();
    if (!s.ok()) return s;
  }
  return status_;
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
