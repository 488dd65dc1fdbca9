// SipHash-2-4 (Aumasson and Bernstein), the keyed hash behind every "random but reproducible"
// decision in mailsweep: the permutation's parameters (targets/), SYN cookies (engine/) and the
// lab's host classes (tests/lab/). Pure functions; safe from any thread.
//
// Example:
//   SipKey key = SipKey::FromSeed(seed, /*domain=*/1);
//   uint64_t cookie = SipHash24(key, bytes, len);
#ifndef MAILSWEEP_BASE_SIPHASH_H_
#define MAILSWEEP_BASE_SIPHASH_H_

#include <cstddef>
#include <cstdint>

namespace mailsweep {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;

  // Expands a 64-bit seed into a key; `domain` separates independent uses of one seed.
  static SipKey FromSeed(uint64_t seed, uint64_t domain);
};

uint64_t SipHash24(const SipKey& key, const void* data, size_t len);

// SipHash-2-4 of exactly two 64-bit words (little-endian), the common case on hot paths;
// equal to SipHash24() over the 16 bytes of a then b.
uint64_t SipHash24Words(const SipKey& key, uint64_t a, uint64_t b);

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_SIPHASH_H_
