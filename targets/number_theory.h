// 64-bit modular arithmetic for the cyclic-group permutation: primality (deterministic
// Miller-Rabin), factoring (Pollard's rho) and primitive roots at set-up, and Montgomery
// multiplication for the one multiply per target on the hot path. Pure functions and a small
// value type; thread-safe.
#ifndef MAILSWEEP_TARGETS_NUMBER_THEORY_H_
#define MAILSWEEP_TARGETS_NUMBER_THEORY_H_

#include <cstdint>
#include <vector>

namespace mailsweep::targets {

uint64_t MulMod(uint64_t a, uint64_t b, uint64_t m);
uint64_t PowMod(uint64_t base, uint64_t exp, uint64_t m);
bool IsPrime(uint64_t n);
// Smallest prime strictly greater than n (n < 2^62).
uint64_t NextPrimeAbove(uint64_t n);
// Distinct prime factors of n >= 1, ascending.
std::vector<uint64_t> DistinctPrimeFactors(uint64_t n);
// True when g generates the whole multiplicative group mod prime p; `factors` are those of p-1.
bool IsPrimitiveRoot(uint64_t g, uint64_t p, const std::vector<uint64_t>& factors);

// Montgomery arithmetic mod an odd m < 2^63 with R = 2^64. Values in "Montgomery form" are
// x*R mod m; Mul(aR, bR) = abR. The walk keeps its state in that form: since x -> xR is a
// bijection of [1, m-1], the form itself can serve as the permuted element.
class Montgomery {
 public:
  explicit Montgomery(uint64_t m);

  uint64_t modulus() const { return m_; }
  uint64_t ToForm(uint64_t x) const;    // x*R mod m
  uint64_t FromForm(uint64_t x) const;  // x/R mod m
  uint64_t Mul(uint64_t a, uint64_t b) const {
    const unsigned __int128 t = static_cast<unsigned __int128>(a) * b;
    const uint64_t low = static_cast<uint64_t>(t);
    const uint64_t q = low * m_inv_neg_;  // q*m == -t (mod R)
    const unsigned __int128 sum = t + static_cast<unsigned __int128>(q) * m_;
    uint64_t r = static_cast<uint64_t>(sum >> 64);
    return r >= m_ ? r - m_ : r;
  }
  uint64_t Pow(uint64_t base_form, uint64_t exp) const;

 private:
  uint64_t m_;
  uint64_t m_inv_neg_;  // -m^-1 mod 2^64
  uint64_t r2_;         // R^2 mod m
};

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_NUMBER_THEORY_H_
