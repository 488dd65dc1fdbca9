// An open-addressing hash table from a 32-bit key to a 64-byte value, whose lookups take no
// branch on the data: the aggregator's join table for the summary roll-up, where the ports of an
// address meet (one key per address, ~7 lookups each, new and known keys in no predictable
// order). Keys live apart from values, 4 bytes each, so the probed keys of a table that fits L2
// sit in L1; a probe compares eight keys at once and takes the first that matches or is empty
// (linear probing without deletions keeps a key before the first empty slot of its run).
// Probes never wrap: slots past the capacity absorb runs that start near the end, and the table
// grows at half load or when a run would leave them.
// Used by the roll-up's join (results/agg/join_tuples.h). Not thread-safe: one owner thread.
//
// Example:
//   AddressTable<State> t;
//   State& s = t.FindOrInsert(key);     // all zero when new
//   t.Drain([](uint32_t key, const State& s) { ... });  // visits and empties
#ifndef MAILSWEEP_RESULTS_AGG_ADDRESS_TABLE_H_
#define MAILSWEEP_RESULTS_AGG_ADDRESS_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "results/agg/zeroed_memory.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mailsweep::results {

template <typename Value>
class AddressTable {
 public:
  // `capacity`: the initial number of slots, a power of two.
  explicit AddressTable(size_t capacity = 1 << 12) { Resize(capacity); }
  ~AddressTable() { Unmap(); }
  AddressTable(const AddressTable&) = delete;
  AddressTable& operator=(const AddressTable&) = delete;

  // Returns the value of `key` (< 0xffffffff); all zero bytes when new.
  __attribute__((always_inline)) Value& FindOrInsert(uint32_t key) {
    if (__builtin_expect(size_ >= limit_, 0)) Resize(capacity_ * 2);
    const uint32_t stored = key + 1;  // 0 marks an empty slot
    for (size_t i = Index(key);;) {
      const Match m = Probe(i, stored);
      if (__builtin_expect(m.first != 0, 1)) {
        const size_t at = i + static_cast<size_t>(__builtin_ctz(m.first));
        keys_[at] = stored;
        size_ += m.found ? 0 : 1;
        return values_[at].value;
      }
      i += kGroup;
      if (i + kGroup > capacity_ + kSpill) {  // a run reached the end: very rare
        Resize(capacity_ * 2);
        i = Index(key);
      }
    }
  }

  // Starts loading the value of `key` into the cache (a caller several lookups ahead).
  void Prefetch(uint32_t key) const { __builtin_prefetch(&values_[Index(key)]); }

  // Calls f(key, value) for each entry and empties the table, which keeps its capacity.
  template <typename F>
  void Drain(F&& f) {
    for (size_t i = 0; size_ != 0 && i < capacity_ + kSpill; i += kGroup) {
      for (unsigned m = Occupied(i); m != 0; m &= m - 1) {
        const size_t at = i + static_cast<size_t>(__builtin_ctz(m));
        f(keys_[at] - 1, static_cast<const Value&>(values_[at].value));
        keys_[at] = 0;
        values_[at] = Slot{};
        --size_;
      }
    }
  }
  size_t size() const { return size_; }
  // Returns the memory; the table is empty and small afterwards.
  void Clear() {
    Unmap();
    Resize(kInitial);
  }

 private:
  static constexpr size_t kGroup = 8;   // keys compared at once
  static constexpr size_t kSpill = 64;  // slots past the capacity (a multiple of kGroup)
  static constexpr size_t kInitial = 1 << 12;
  struct alignas(64) Slot {
    Value value;
  };
  static_assert(sizeof(Value) <= 64, "a value is at most one cache line");
  static_assert(std::is_trivially_copyable_v<Value>);

  // Bits of the kGroup slots from i: `first` has the first slot holding `stored` or empty
  // (none: 0), `found` whether that slot holds `stored`.
  struct Match {
    unsigned first;
    bool found;
  };
  Match Probe(size_t i, uint32_t stored) const {
#if defined(__SSE2__)
    const __m128i want = _mm_set1_epi32(static_cast<int>(stored));
    const __m128i zero = _mm_setzero_si128();
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys_ + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys_ + i + 4));
    const unsigned eq =
        static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a, want)))) |
        static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(b, want)))) << 4;
    const unsigned empty =
        static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a, zero)))) |
        static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(b, zero)))) << 4;
#else
    unsigned eq = 0, empty = 0;
    for (size_t k = 0; k < kGroup; ++k) {
      eq |= (keys_[i + k] == stored ? 1u : 0u) << k;
      empty |= (keys_[i + k] == 0 ? 1u : 0u) << k;
    }
#endif
    const unsigned any = eq | empty;
    const unsigned first = any & (0u - any);
    return {first, (first & eq) != 0};
  }
  // Bits of the kGroup slots from i that hold a key.
  unsigned Occupied(size_t i) const {
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys_ + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys_ + i + 4));
    return ~(static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a, zero)))) |
             static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(b, zero))))
                 << 4) &
           0xffu;
#else
    unsigned m = 0;
    for (size_t k = 0; k < kGroup; ++k) m |= (keys_[i + k] != 0 ? 1u : 0u) << k;
    return m;
#endif
  }

  // Fibonacci hashing: the top bits of key * 2^32/phi.
  size_t Index(uint32_t key) const { return (key * 0x9e3779b9u) >> shift_; }

  void Unmap() {
    results::Unmap(keys_, (capacity_ + kSpill) * sizeof(uint32_t));
    results::Unmap(values_, (capacity_ + kSpill) * sizeof(Slot));
    keys_ = nullptr;
    values_ = nullptr;
  }

  void Resize(size_t capacity) {
    uint32_t* old_keys = keys_;
    Slot* old_values = values_;
    const size_t old_slots = old_keys ? capacity_ + kSpill : 0;
    // Zero-filled: every slot empty.
    keys_ = static_cast<uint32_t*>(MapZeroed((capacity + kSpill) * sizeof(uint32_t)));
    values_ = static_cast<Slot*>(MapZeroed((capacity + kSpill) * sizeof(Slot)));
    capacity_ = capacity;
    limit_ = capacity / 2;
    shift_ = 32 - static_cast<unsigned>(__builtin_ctzll(capacity));
    size_ = 0;
    for (size_t i = 0; i < old_slots; ++i) {
      if (old_keys[i] != 0) FindOrInsert(old_keys[i] - 1) = old_values[i].value;
    }
    if (old_keys) {
      results::Unmap(old_keys, old_slots * sizeof(uint32_t));
      results::Unmap(old_values, old_slots * sizeof(Slot));
    }
  }

  uint32_t* keys_ = nullptr;
  Slot* values_ = nullptr;
  size_t capacity_ = 0;
  size_t limit_ = 0;
  unsigned shift_ = 32;
  size_t size_ = 0;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_ADDRESS_TABLE_H_
