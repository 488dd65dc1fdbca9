// CRC32C (Castagnoli, the iSCSI polynomial 0x1EDC6F41, reflected 0x82F63B78) for the record
// files' fragment checksums, with leveldb's masking. Debian's abseil has no absl/crc, so this is
// our own: SSE4.2 `crc32` instructions when the CPU has them, else slicing-by-8 tables.
// Pure functions; thread-safe.
//
// Example:
//   uint32_t crc = crc32c::Value(data, n);          // RFC 3720 B.4: 32 zero bytes -> 0x8A9136AA
//   uint32_t stored = crc32c::Mask(crc);
#ifndef MAILSWEEP_RESULTS_FORMAT_CRC32C_H_
#define MAILSWEEP_RESULTS_FORMAT_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace mailsweep::results::crc32c {

// Returns the CRC32C of concat(A, data[0,n)) where init_crc is the CRC32C of A.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

// The table-driven implementation only (tests compare it with the dispatching one).
uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n);

// A CRC of data that itself contains CRCs is weak; leveldb stores masked CRCs.
constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace mailsweep::results::crc32c

#endif  // MAILSWEEP_RESULTS_FORMAT_CRC32C_H_
