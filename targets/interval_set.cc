#include "targets/interval_set.h"

#include <algorithm>

namespace mailsweep::targets {

IntervalSet::IntervalSet(std::vector<Ipv4Range> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const Ipv4Range& a, const Ipv4Range& b) { return a.first < b.first; });
  for (const Ipv4Range& r : ranges) {
    // Merge overlapping and adjacent ranges; 64-bit arithmetic keeps 255.255.255.255 safe.
    if (!ranges_.empty() && uint64_t{r.first} <= uint64_t{ranges_.back().last} + 1) {
      ranges_.back().last = std::max(ranges_.back().last, r.last);
    } else {
      ranges_.push_back(r);
    }
  }
  BuildIndex();
}

void IntervalSet::BuildIndex() {
  cumulative_end_.clear();
  count_ = 0;
  for (const Ipv4Range& r : ranges_) {
    count_ += r.size();
    cumulative_end_.push_back(count_);
  }
  // About one bucket per range (at least 1, at most 2^16), so the scan in AddressAt() is short.
  bucket_shift_ = 0;
  const uint64_t target_buckets = std::clamp<uint64_t>(ranges_.size() * 2, 1, 65536);
  while ((count_ >> bucket_shift_) >= target_buckets) ++bucket_shift_;
  const uint64_t buckets = count_ == 0 ? 1 : ((count_ - 1) >> bucket_shift_) + 1;
  bucket_first_.assign(buckets, 0);
  size_t r = 0;
  for (uint64_t b = 0; b < buckets; ++b) {
    const uint64_t first_index = b << bucket_shift_;
    while (r < cumulative_end_.size() && cumulative_end_[r] <= first_index) ++r;
    bucket_first_[b] = static_cast<uint32_t>(r);
  }
}

bool IntervalSet::Contains(uint32_t address) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](uint32_t a, const Ipv4Range& r) { return a < r.first; });
  return it != ranges_.begin() && std::prev(it)->last >= address;
}

IntervalSet IntervalSet::Union(const IntervalSet& other) const {
  std::vector<Ipv4Range> all = ranges_;
  all.insert(all.end(), other.ranges_.begin(), other.ranges_.end());
  return IntervalSet(std::move(all));
}

IntervalSet IntervalSet::Subtract(const IntervalSet& other) const {
  std::vector<Ipv4Range> out;
  size_t j = 0;
  for (Ipv4Range r : ranges_) {
    uint64_t cur = r.first;  // next address of r not yet decided
    while (j < other.ranges_.size() && other.ranges_[j].last < cur) ++j;
    size_t k = j;
    while (cur <= r.last && k < other.ranges_.size() && other.ranges_[k].first <= r.last) {
      const Ipv4Range& b = other.ranges_[k];
      if (b.first > cur) out.push_back({static_cast<uint32_t>(cur), b.first - 1});
      cur = uint64_t{b.last} + 1;
      ++k;
    }
    if (cur <= r.last) out.push_back({static_cast<uint32_t>(cur), r.last});
  }
  return IntervalSet(std::move(out));
}

IntervalSet IntervalSet::Intersect(const IntervalSet& other) const {
  std::vector<Ipv4Range> out;
  size_t i = 0, j = 0;
  while (i < ranges_.size() && j < other.ranges_.size()) {
    const uint32_t lo = std::max(ranges_[i].first, other.ranges_[j].first);
    const uint32_t hi = std::min(ranges_[i].last, other.ranges_[j].last);
    if (lo <= hi) out.push_back({lo, hi});
    if (ranges_[i].last < other.ranges_[j].last) {
      ++i;
    } else {
      ++j;
    }
  }
  return IntervalSet(std::move(out));
}

}  // namespace mailsweep::targets
