// An open-addressing hash table from a 64-bit key to a small value, one cache line per slot:
// the aggregator's join table for one partition of the (address, protocol) keys at a time, sized
// to stay in the L2 cache. Linear probing, grows at 3/4 load; Reset() empties it and keeps its
// memory for the next partition. Slots live in anonymous memory, so a Value must be trivially
// copyable and all-zero bytes must be its empty state.
// Used by the roll-up's join (results/agg/join_tuples.h). Not thread-safe: one owner thread.
//
// Example:
//   HostTable<State> t;
//   State& s = t.FindOrInsert(key, HostTable<State>::Hash(key));
//   t.ForEach([](uint64_t key, const State& s) { ... });
//   t.Reset();
#ifndef MAILSWEEP_RESULTS_AGG_HOST_TABLE_H_
#define MAILSWEEP_RESULTS_AGG_HOST_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "results/agg/zeroed_memory.h"

namespace mailsweep::results {

template <typename Value>
class HostTable {
 public:
  HostTable() { Resize(1 << 12); }
  ~HostTable() { Unmap(slots_, capacity_); }
  HostTable(const HostTable&) = delete;
  HostTable& operator=(const HostTable&) = delete;

  static uint64_t Hash(uint64_t key) {
    // Fibonacci hashing: the top bits of key * 2^64/phi index the table.
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
  }
  // Starts loading the slot of `hash` into the cache (a caller several lookups ahead).
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Index(hash)]); }

  // Returns the value of `key`; all zero when new.
  Value& FindOrInsert(uint64_t key, uint64_t hash) {
    if (size_ + 1 > (capacity_ >> 2) * 3) Resize(capacity_ * 2);
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

  // Empties the table, keeping its capacity.
  void Reset() {
    if (size_ == 0) return;
    std::memset(static_cast<void*>(slots_), 0, capacity_ * sizeof(Slot));
    size_ = 0;
  }

  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < capacity_; ++i) {
      if (slots_[i].key != 0) f(slots_[i].key - 1, slots_[i].value);
    }
  }
  size_t size() const { return size_; }
  // Returns the memory; the table is empty and small afterwards.
  void Clear() {
    Unmap(slots_, capacity_);
    slots_ = nullptr;
    capacity_ = 0;
    size_ = 0;
    Resize(1 << 12);
  }

 private:
  struct alignas(64) Slot {
    uint64_t key;
    Value value;
  };
  static_assert(sizeof(Value) <= 56, "a slot is one cache line");
  static_assert(std::is_trivially_copyable_v<Value>);

  size_t Index(uint64_t hash) const { return static_cast<size_t>(hash >> shift_); }

  static Slot* Map(size_t capacity) {  // zero-filled: every slot empty
    return static_cast<Slot*>(MapZeroed(capacity * sizeof(Slot)));
  }
  static void Unmap(Slot* slots, size_t capacity) {
    results::Unmap(slots, capacity * sizeof(Slot));
  }

  void Resize(size_t capacity) {
    Slot* old = slots_;
    const size_t old_capacity = capacity_;
    slots_ = Map(capacity);
    capacity_ = capacity;
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    size_ = 0;
    for (size_t i = 0; i < old_capacity; ++i) {
      if (old[i].key != 0) {
        FindOrInsert(old[i].key - 1, Hash(old[i].key - 1)) = old[i].value;
      }
    }
    Unmap(old, old_capacity);
  }

  Slot* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_HOST_TABLE_H_
