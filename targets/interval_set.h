// An immutable set of IPv4 addresses stored as sorted, merged, disjoint ranges, with the two
// operations a sweep needs: set algebra while the target space is built, and AddressAt(i), the
// i-th allowed address, on the hot path. The walk never generates a blocked address because it
// only ever asks for indices in [0, Count()). Value type; const methods are thread-safe.
//
// Example:
//   IntervalSet allowed = IntervalSet({{a, b}}).Subtract(blocklist);
//   uint32_t ip = allowed.AddressAt(12345);
#ifndef MAILSWEEP_TARGETS_INTERVAL_SET_H_
#define MAILSWEEP_TARGETS_INTERVAL_SET_H_

#include <cstdint>
#include <vector>

#include "targets/ipv4.h"

namespace mailsweep::targets {

class IntervalSet {
 public:
  IntervalSet() = default;
  // Any ranges, overlapping or not, in any order.
  explicit IntervalSet(std::vector<Ipv4Range> ranges);

  IntervalSet Union(const IntervalSet& other) const;
  IntervalSet Subtract(const IntervalSet& other) const;
  IntervalSet Intersect(const IntervalSet& other) const;

  uint64_t Count() const { return count_; }
  bool empty() const { return count_ == 0; }
  bool Contains(uint32_t address) const;

  // The index-th smallest address. Requires index < Count(). O(1) on average: a bucket table
  // over the index space points at the range to start from.
  uint32_t AddressAt(uint64_t index) const {
    size_t r = bucket_first_[index >> bucket_shift_];
    while (cumulative_end_[r] <= index) ++r;
    return ranges_[r].first +
           static_cast<uint32_t>(index - (cumulative_end_[r] - ranges_[r].size()));
  }

  const std::vector<Ipv4Range>& ranges() const { return ranges_; }
  friend bool operator==(const IntervalSet& a, const IntervalSet& b) {
    return a.ranges_ == b.ranges_;
  }

 private:
  void BuildIndex();

  std::vector<Ipv4Range> ranges_;         // sorted, disjoint, not adjacent
  std::vector<uint64_t> cumulative_end_;  // addresses in ranges_[0..i]
  std::vector<uint32_t> bucket_first_;    // first range that can hold index b << bucket_shift_
  int bucket_shift_ = 0;
  uint64_t count_ = 0;
};

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_INTERVAL_SET_H_
