// An open-addressing hash table from a 64-bit key to a small value, one cache line per slot,
// with a Prefetch() so a caller can overlap the cache misses of several lookups (the
// aggregator's join of 10^7 records in random order is bound by those misses). Linear probing,
// grows at 3/4 load. Used by results/aggregator.cc only. Not thread-safe: one owner thread.
//
// Example:
//   HostTable<State> t;
//   uint64_t h = HostTable<State>::Hash(key);
//   t.Prefetch(h);  ... later ...
//   State& s = t.FindOrInsert(key, h);
#ifndef MAILSWEEP_RESULTS_HOST_TABLE_H_
#define MAILSWEEP_RESULTS_HOST_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mailsweep::results {

template <typename Value>
class HostTable {
 public:
  HostTable() { Resize(1 << 12); }

  static uint64_t Hash(uint64_t key) {
    // Fibonacci hashing: the top bits of key * 2^64/phi index the table.
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
  }
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Index(hash)]); }

  // Returns the value of `key`, value-initialised when new.
  Value& FindOrInsert(uint64_t key, uint64_t hash) {
    if (size_ + 1 > (slots_.size() >> 2) * 3) Resize(slots_.size() * 2);
    const uint64_t stored = key + 1;  // 0 marks an empty slot
    for (size_t i = Index(hash);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == stored) return s.value;
      if (s.key == 0) {
        s.key = stored;
        ++size_;
        return s.value;
      }
    }
  }

  // Makes room for `n` keys without growing.
  void Reserve(size_t n) {
    size_t capacity = slots_.size();
    while ((capacity >> 2) * 3 < n) capacity *= 2;
    if (capacity != slots_.size()) Resize(capacity);
  }

  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.key != 0) f(s.key - 1, s.value);
    }
  }
  size_t size() const { return size_; }
  void Clear() {
    std::vector<Slot>().swap(slots_);
    Resize(1 << 12);
  }

 private:
  struct alignas(64) Slot {
    uint64_t key = 0;
    Value value{};
  };
  static_assert(sizeof(Value) <= 56, "a slot is one cache line");

  size_t Index(uint64_t hash) const { return static_cast<size_t>(hash >> shift_); }

  void Resize(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(capacity);
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != 0) FindOrInsert(s.key - 1, Hash(s.key - 1)) = s.value;
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_HOST_TABLE_H_
