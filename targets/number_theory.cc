#include "targets/number_theory.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace mailsweep::targets {

uint64_t MulMod(uint64_t a, uint64_t b, uint64_t m) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % m);
}

uint64_t PowMod(uint64_t base, uint64_t exp, uint64_t m) {
  uint64_t result = 1 % m;
  base %= m;
  while (exp) {
    if (exp & 1) result = MulMod(result, base, m);
    base = MulMod(base, base, m);
    exp >>= 1;
  }
  return result;
}

bool IsPrime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t p : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (n % p == 0) return n == p;
  }
  uint64_t d = n - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  // These bases decide primality for every n < 2^64.
  for (uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    uint64_t x = PowMod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int r = 1; r < s; ++r) {
      x = MulMod(x, x, n);
      if (x == n - 1) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

uint64_t NextPrimeAbove(uint64_t n) {
  uint64_t c = n + 1;
  while (!IsPrime(c)) ++c;
  return c;
}

namespace {

uint64_t PollardRho(uint64_t n) {
  if (n % 2 == 0) return 2;
  for (uint64_t c = 1;; ++c) {
    uint64_t x = 2, y = 2, d = 1;
    auto f = [&](uint64_t v) { return (MulMod(v, v, n) + c) % n; };
    while (d == 1) {
      x = f(x);
      y = f(f(y));
      d = std::gcd(x > y ? x - y : y - x, n);
    }
    if (d != n) return d;
  }
}

void Factor(uint64_t n, std::vector<uint64_t>* out) {
  if (n == 1) return;
  if (IsPrime(n)) {
    out->push_back(n);
    return;
  }
  for (uint64_t p : {2, 3, 5, 7, 11, 13}) {
    if (n % p == 0) {
      out->push_back(p);
      while (n % p == 0) n /= p;
      Factor(n, out);
      return;
    }
  }
  uint64_t d = PollardRho(n);
  Factor(d, out);
  Factor(n / d, out);
}

}  // namespace

std::vector<uint64_t> DistinctPrimeFactors(uint64_t n) {
  std::vector<uint64_t> out;
  Factor(n, &out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool IsPrimitiveRoot(uint64_t g, uint64_t p, const std::vector<uint64_t>& factors) {
  if (g % p == 0) return false;
  for (uint64_t q : factors) {
    if (PowMod(g, (p - 1) / q, p) == 1) return false;
  }
  return true;
}

Montgomery::Montgomery(uint64_t m) : m_(m) {
  assert(m % 2 == 1 && m < (uint64_t{1} << 63));
  // Newton's iteration for m^-1 mod 2^64: each step doubles the correct low bits.
  uint64_t inv = m;
  for (int i = 0; i < 6; ++i) inv *= 2 - m * inv;
  m_inv_neg_ = ~inv + 1;
  const unsigned __int128 r_mod = (static_cast<unsigned __int128>(1) << 64) % m;
  r2_ = static_cast<uint64_t>(r_mod * r_mod % m);
}

uint64_t Montgomery::ToForm(uint64_t x) const { return Mul(x % m_, r2_); }
uint64_t Montgomery::FromForm(uint64_t x) const { return Mul(x, 1); }

uint64_t Montgomery::Pow(uint64_t base_form, uint64_t exp) const {
  uint64_t result = ToForm(1);
  while (exp) {
    if (exp & 1) result = Mul(result, base_form);
    base_form = Mul(base_form, base_form);
    exp >>= 1;
  }
  return result;
}

}  // namespace mailsweep::targets
