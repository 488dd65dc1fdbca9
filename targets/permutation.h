// A keyed pseudo-random permutation of [0, n): the order in which a sweep visits its targets.
//
// The maths (as in ZMap's cyclic.c): take the smallest prime p > n (p >= 3) and a generator g of
// the multiplicative group Z_p^*, chosen from the seed along with a start element s. The sequence
// x_k = s * g^k mod p (k = 0 .. p-2) visits every element of [1, p-1] exactly once; the elements
// <= n, minus one, are the target indices, the rest (fewer than ~ln(n) per target on average, by
// the prime gap) are skipped. A *position* k is a single number; the cycle is cut into contiguous
// position ranges for shards (machines) and, within a shard, for threads. Because successive
// elements differ by a factor g, consecutive targets are far apart in the index space, which
// spreads load over networks.
//
// The hot loop is one Montgomery multiplication per position; the state stays in Montgomery
// form (x*R mod p), which is itself a bijection of [1, p-1], so it never needs converting back.
//
// Example:
//   auto perm = Permutation::Create(space.size(), seed);
//   Permutation::Cursor c = perm->Begin(perm->Shard(shards, shard));
//   for (uint64_t i; c.Next(&i);) Visit(space.At(i));
//
// Permutation is an immutable value; a Cursor belongs to one thread.
#ifndef MAILSWEEP_TARGETS_PERMUTATION_H_
#define MAILSWEEP_TARGETS_PERMUTATION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "targets/number_theory.h"

namespace mailsweep::targets {

// Positions [begin, end) of the cycle.
struct PositionRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - begin; }
  friend bool operator==(const PositionRange&, const PositionRange&) = default;
};

// Part `part` of `parts` equal contiguous slices of `range` (sizes differ by at most one).
PositionRange SplitRange(PositionRange range, uint64_t parts, uint64_t part);

class Permutation {
 public:
  class Cursor {
   public:
    // Writes the next target index of the range; false when the range is exhausted.
    bool Next(uint64_t* index) {
      while (position_ < end_) {
        const uint64_t element = x_;
        x_ = mont_.Mul(x_, g_form_);
        ++position_;
        if (element <= n_) {
          *index = element - 1;
          return true;
        }
      }
      return false;
    }
    // The position Next() visits next: save it to resume with Permutation::At().
    uint64_t position() const { return position_; }
    uint64_t end() const { return end_; }

   private:
    friend class Permutation;
    Cursor(const Montgomery& mont, uint64_t x, uint64_t g_form, uint64_t n, uint64_t position,
           uint64_t end)
        : mont_(mont), x_(x), g_form_(g_form), n_(n), position_(position), end_(end) {}

    Montgomery mont_;
    uint64_t x_;
    uint64_t g_form_;
    uint64_t n_;
    uint64_t position_;
    uint64_t end_;
  };

  // n in [1, 2^56]. The same (n, seed) always gives the same order.
  static absl::StatusOr<Permutation> Create(uint64_t n, uint64_t seed);

  uint64_t size() const { return n_; }
  uint64_t prime() const { return mont_.modulus(); }
  uint64_t generator() const { return g_; }
  // Number of positions, p - 1.
  uint64_t cycle_length() const { return mont_.modulus() - 1; }
  PositionRange All() const { return {0, cycle_length()}; }
  // Shard `shard` (from 0) of `shards`: together the shards cover All() exactly once.
  PositionRange Shard(uint64_t shards, uint64_t shard) const {
    return SplitRange(All(), shards, shard);
  }

  Cursor Begin(PositionRange range) const { return At(range.begin, range.end); }
  // A cursor that continues at `position` and stops before `end`. O(log position).
  Cursor At(uint64_t position, uint64_t end) const;

 private:
  Permutation(uint64_t n, Montgomery mont, uint64_t g, uint64_t start)
      : n_(n), mont_(mont), g_(g), start_(start) {}

  uint64_t n_;
  Montgomery mont_;
  uint64_t g_;
  uint64_t start_;  // element at position 0, in [1, p-1]
};

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_PERMUTATION_H_
