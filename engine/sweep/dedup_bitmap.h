// Exact de-duplication of replies: one bit per target index (index = address_index * ports +
// port_index, the TargetSpace layout), in 4 KiB pages allocated on first use, so memory follows
// the parts of the space that answer: a /8 x 4 ports costs at most 8 MiB, a sparse sweep far less.
// Also maps a reply's (address, port) back to its index, which rejects replies from outside the
// target space.
//
// Example:
//   DedupBitmap seen(space);
//   if (seen.Insert(reply.address, reply.port) == DedupBitmap::kNew) Emit(reply);
//
// Used by the receive thread only (not thread-safe).
#ifndef MAILSWEEP_ENGINE_SWEEP_DEDUP_BITMAP_H_
#define MAILSWEEP_ENGINE_SWEEP_DEDUP_BITMAP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "targets/target_space.h"

namespace mailsweep::engine {

class DedupBitmap {
 public:
  enum Result { kNew, kDuplicate, kOutside };

  // `space` is read at construction only.
  explicit DedupBitmap(const targets::TargetSpace& space);

  Result Insert(uint32_t address, uint16_t port);
  bool Contains(uint32_t address, uint16_t port) const;

  // The target index of (address, port), or nothing when it is not a target.
  std::optional<uint64_t> IndexOf(uint32_t address, uint16_t port) const;

  uint64_t pages_allocated() const { return pages_allocated_; }
  uint64_t bytes_allocated() const { return pages_allocated_ * kPageBits / 8; }

  static constexpr uint64_t kPageBits = 1 << 15;  // 4 KiB

 private:
  std::vector<uint32_t> range_first_;  // sorted first addresses of the allowed ranges
  std::vector<uint32_t> range_last_;
  std::vector<uint64_t> range_index_;  // address index of each range's first address
  std::vector<uint16_t> port_index_;   // port -> index + 1 (0: not a swept port), 65536 entries
  uint64_t ports_ = 1;
  std::vector<std::unique_ptr<uint64_t[]>> pages_;
  uint64_t pages_allocated_ = 0;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_DEDUP_BITMAP_H_
