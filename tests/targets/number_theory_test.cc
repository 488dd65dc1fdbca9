#include "targets/number_theory.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

namespace mailsweep::targets {
namespace {

TEST_CASE("IsPrime agrees with a sieve below 100000") {
  const int n = 100000;
  std::vector<bool> composite(n, false);
  for (int i = 2; i * i < n; ++i) {
    if (!composite[i]) {
      for (int j = i * i; j < n; j += i) composite[j] = true;
    }
  }
  for (int i = 0; i < n; ++i) {
    INFO(i);
    REQUIRE(IsPrime(i) == (i >= 2 && !composite[i]));
  }
}

TEST_CASE("IsPrime knows large primes and strong pseudoprimes") {
  CHECK(IsPrime((uint64_t{1} << 61) - 1));       // Mersenne prime
  CHECK(IsPrime(4294967311ULL));                 // smallest prime above 2^32
  CHECK_FALSE(IsPrime(3215031751ULL));           // strong pseudoprime to bases 2,3,5,7
  CHECK_FALSE(IsPrime(3825123056546413051ULL));  // strong pseudoprime to bases up to 23
  CHECK(NextPrimeAbove(uint64_t{1} << 32) == 4294967311ULL);
  CHECK(NextPrimeAbove(2) == 3);
}

TEST_CASE("DistinctPrimeFactors multiplies back") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    const uint64_t n = 1 + rng() % (uint64_t{1} << 50);
    std::vector<uint64_t> f = DistinctPrimeFactors(n);
    uint64_t rest = n;
    for (uint64_t p : f) {
      REQUIRE(IsPrime(p));
      REQUIRE(rest % p == 0);
      while (rest % p == 0) rest /= p;
    }
    REQUIRE(rest == 1);
  }
}

TEST_CASE("IsPrimitiveRoot: the order of a root is p-1") {
  // 3 generates Z_7^*; 2 does not (2^3 = 1 mod 7).
  CHECK(IsPrimitiveRoot(3, 7, DistinctPrimeFactors(6)));
  CHECK_FALSE(IsPrimitiveRoot(2, 7, DistinctPrimeFactors(6)));
}

TEST_CASE("Montgomery multiplication equals plain modular multiplication") {
  std::mt19937_64 rng(99);
  for (uint64_t m :
       {3ULL, 7ULL, 65537ULL, 4294967311ULL, (1ULL << 61) - 1, (1ULL << 62) + 135ULL}) {
    if (m % 2 == 0) continue;
    Montgomery mont(m);
    for (int i = 0; i < 1000; ++i) {
      const uint64_t a = rng() % m, b = rng() % m;
      REQUIRE(mont.FromForm(mont.Mul(mont.ToForm(a), mont.ToForm(b))) == MulMod(a, b, m));
    }
    const uint64_t g = 2 % m;
    REQUIRE(mont.FromForm(mont.Pow(mont.ToForm(g), 12345)) == PowMod(g, 12345, m));
  }
}

}  // namespace
}  // namespace mailsweep::targets
