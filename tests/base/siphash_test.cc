#include "base/siphash.h"

#include <catch2/catch.hpp>
#include <cstring>

namespace mailsweep {
namespace {

SipKey ReferenceKey() {
  // Key bytes 00..0f, as in the SipHash paper's appendix.
  return SipKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
}

TEST_CASE("SipHash24 matches the reference vectors of the paper") {
  unsigned char msg[64];
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<unsigned char>(i);
  // Vectors for lengths 0, 1, 8 and 15 from the reference implementation's vectors.h.
  CHECK(SipHash24(ReferenceKey(), msg, 0) == 0x726fdb47dd0e0e31ULL);
  CHECK(SipHash24(ReferenceKey(), msg, 1) == 0x74f839c593dc67fdULL);
  CHECK(SipHash24(ReferenceKey(), msg, 8) == 0x93f5f5799a932462ULL);
  CHECK(SipHash24(ReferenceKey(), msg, 15) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("SipHash24Words equals SipHash24 over the same sixteen bytes") {
  const SipKey key = SipKey::FromSeed(42, 7);
  for (uint64_t a : {0ULL, 1ULL, 0xdeadbeefcafef00dULL}) {
    for (uint64_t b : {0ULL, 99ULL, ~0ULL}) {
      unsigned char bytes[16];
      for (int i = 0; i < 8; ++i) {
        bytes[i] = static_cast<unsigned char>(a >> (8 * i));
        bytes[8 + i] = static_cast<unsigned char>(b >> (8 * i));
      }
      CHECK(SipHash24Words(key, a, b) == SipHash24(key, bytes, 16));
    }
  }
}

TEST_CASE("SipKey::FromSeed separates seeds and domains") {
  const SipKey a = SipKey::FromSeed(1, 1);
  const SipKey b = SipKey::FromSeed(1, 2);
  const SipKey c = SipKey::FromSeed(2, 1);
  CHECK((a.k0 != b.k0 || a.k1 != b.k1));
  CHECK((a.k0 != c.k0 || a.k1 != c.k1));
  const SipKey again = SipKey::FromSeed(1, 1);
  CHECK(a.k0 == again.k0);
  CHECK(a.k1 == again.k1);
}

}  // namespace
}  // namespace mailsweep
