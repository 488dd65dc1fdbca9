#include "targets/permutation.h"

#include "base/siphash.h"
#include "base/strings.h"

namespace mailsweep::targets {

PositionRange SplitRange(PositionRange range, uint64_t parts, uint64_t part) {
  const unsigned __int128 size = range.size();
  return {range.begin + static_cast<uint64_t>(size * part / parts),
          range.begin + static_cast<uint64_t>(size * (part + 1) / parts)};
}

absl::StatusOr<Permutation> Permutation::Create(uint64_t n, uint64_t seed) {
  if (n == 0) return absl::InvalidArgumentError("cannot permute an empty target space");
  if (n > (uint64_t{1} << 56)) {
    return absl::InvalidArgumentError(StrCat("target space of ", n, " is too large"));
  }
  // p >= 3 keeps the modulus odd for Montgomery arithmetic.
  const uint64_t p = NextPrimeAbove(n < 2 ? 2 : n);
  const std::vector<uint64_t> factors = DistinctPrimeFactors(p - 1);
  const SipKey key = SipKey::FromSeed(seed, /*domain=*/0x7065726d);  // "perm"
  uint64_t g = 2;
  if (p > 3) {
    // A random primitive root; about phi(p-1)/(p-1) of candidates qualify, so few tries.
    for (uint64_t i = 0;; ++i) {
      g = 2 + SipHash24Words(key, 1, i) % (p - 3);
      if (IsPrimitiveRoot(g, p, factors)) break;
    }
  }
  const uint64_t start = 1 + SipHash24Words(key, 2, 0) % (p - 1);
  return Permutation(n, Montgomery(p), g, start);
}

Permutation::Cursor Permutation::At(uint64_t position, uint64_t end) const {
  const uint64_t g_form = mont_.ToForm(g_);
  const uint64_t x = mont_.Mul(mont_.ToForm(start_), mont_.Pow(g_form, position));
  return Cursor(mont_, x, g_form, n_, position, end);
}

}  // namespace mailsweep::targets
