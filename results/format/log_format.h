// The physical layout of mailsweep record files, after leveldb's log format: the file is a
// sequence of 32 KiB blocks; each block holds fragments with a 7-byte header (masked CRC32C,
// length, type); a logical record (here: a "chunk", see chunk_format.h) is one FULL fragment or
// FIRST, MIDDLE..., LAST. results/format/FORMAT.md is the normative description. Constants only.
#ifndef MAILSWEEP_RESULTS_FORMAT_LOG_FORMAT_H_
#define MAILSWEEP_RESULTS_FORMAT_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace mailsweep::results::log {

enum FragmentType : uint8_t {
  kZeroType = 0,  // block trailer / preallocated space: never written as a fragment
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
constexpr uint8_t kMaxFragmentType = kLastType;

constexpr size_t kBlockSize = 32768;
// crc32c (4) + length (2, little-endian) + type (1)
constexpr size_t kHeaderSize = 4 + 2 + 1;
static_assert(kBlockSize - kHeaderSize <= 0xffff, "fragment length must fit in 16 bits");

}  // namespace mailsweep::results::log

#endif  // MAILSWEEP_RESULTS_FORMAT_LOG_FORMAT_H_
