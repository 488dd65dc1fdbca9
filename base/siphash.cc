#include "base/siphash.h"

#include <cstring>

namespace mailsweep {
namespace {

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct State {
  uint64_t v0, v1, v2, v3;

  explicit State(const SipKey& key)
      : v0(key.k0 ^ 0x736f6d6570736575ULL),
        v1(key.k1 ^ 0x646f72616e646f6dULL),
        v2(key.k0 ^ 0x6c7967656e657261ULL),
        v3(key.k1 ^ 0x7465646279746573ULL) {}

  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }

  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }

  uint64_t Finish() {
    v2 ^= 0xff;
    Round();
    Round();
    Round();
    Round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

inline uint64_t LoadLe64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

SipKey SipKey::FromSeed(uint64_t seed, uint64_t domain) {
  // A fixed key hashes (seed, domain): keys for different domains are unrelated.
  const SipKey fixed{0x6d61696c73776565ULL, 0x7020736565642121ULL};
  return SipKey{SipHash24Words(fixed, seed, domain), SipHash24Words(fixed, domain, ~seed)};
}

uint64_t SipHash24(const SipKey& key, const void* data, size_t len) {
  const auto* in = static_cast<const unsigned char*>(data);
  State s(key);
  const size_t full = len & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) s.Compress(LoadLe64(in + i));
  uint64_t last = static_cast<uint64_t>(len) << 56;
  for (size_t i = 0; i < (len & 7); ++i) last |= static_cast<uint64_t>(in[full + i]) << (8 * i);
  s.Compress(last);
  return s.Finish();
}

uint64_t SipHash24Words(const SipKey& key, uint64_t a, uint64_t b) {
  State s(key);
  s.Compress(a);
  s.Compress(b);
  s.Compress(uint64_t{16} << 56);
  return s.Finish();
}

}  // namespace mailsweep
