#include "engine/sweep/dedup_bitmap.h"

#include <algorithm>

namespace mailsweep::engine {

DedupBitmap::DedupBitmap(const targets::TargetSpace& space)
    : port_index_(65536, 0), ports_(space.ports().size()) {
  uint64_t index = 0;
  for (const targets::Ipv4Range& r : space.allowed().ranges()) {
    range_first_.push_back(r.first);
    range_last_.push_back(r.last);
    range_index_.push_back(index);
    index += r.size();
  }
  for (size_t i = 0; i < space.ports().size(); ++i) {
    port_index_[space.ports()[i]] = static_cast<uint16_t>(i + 1);
  }
  const uint64_t bits = space.size();
  pages_.resize((bits + kPageBits - 1) / kPageBits);
}

std::optional<uint64_t> DedupBitmap::IndexOf(uint32_t address, uint16_t port) const {
  const uint16_t pi = port_index_[port];
  if (pi == 0) return std::nullopt;
  auto it = std::upper_bound(range_first_.begin(), range_first_.end(), address);
  if (it == range_first_.begin()) return std::nullopt;
  const size_t r = static_cast<size_t>(it - range_first_.begin()) - 1;
  if (address > range_last_[r]) return std::nullopt;
  const uint64_t address_index = range_index_[r] + (address - range_first_[r]);
  return address_index * ports_ + (pi - 1);
}

DedupBitmap::Result DedupBitmap::Insert(uint32_t address, uint16_t port) {
  const std::optional<uint64_t> index = IndexOf(address, port);
  if (!index) return kOutside;
  std::unique_ptr<uint64_t[]>& page = pages_[*index / kPageBits];
  if (!page) {
    page = std::make_unique<uint64_t[]>(kPageBits / 64);  // value-initialised: zeros
    ++pages_allocated_;
  }
  const uint64_t bit = *index % kPageBits;
  uint64_t& word = page[bit / 64];
  const uint64_t mask = uint64_t{1} << (bit % 64);
  if (word & mask) return kDuplicate;
  word |= mask;
  return kNew;
}

bool DedupBitmap::Contains(uint32_t address, uint16_t port) const {
  const std::optional<uint64_t> index = IndexOf(address, port);
  if (!index) return false;
  const std::unique_ptr<uint64_t[]>& page = pages_[*index / kPageBits];
  if (!page) return false;
  const uint64_t bit = *index % kPageBits;
  return (page[bit / 64] >> (bit % 64)) & 1;
}

}  // namespace mailsweep::engine
