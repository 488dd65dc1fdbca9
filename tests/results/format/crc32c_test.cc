#include "results/format/crc32c.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "results/format/coding.h"

namespace mailsweep::results {
namespace {

TEST_CASE("crc32c: RFC 3720 B.4 test vectors") {
  std::string buf(32, '\0');
  CHECK(crc32c::Value(buf.data(), buf.size()) == 0x8a9136aau);
  buf.assign(32, '\xff');
  CHECK(crc32c::Value(buf.data(), buf.size()) == 0x62a8ab43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  CHECK(crc32c::Value(buf.data(), buf.size()) == 0x46dd794eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  CHECK(crc32c::Value(buf.data(), buf.size()) == 0x113fdb5cu);
  const unsigned char iscsi_read[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                        0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(crc32c::Value(reinterpret_cast<const char*>(iscsi_read), 48) == 0xd9963a56u);
  CHECK(crc32c::Value("123456789", 9) == 0xe3069283u);
}

TEST_CASE("crc32c: portable tables and dispatch agree at every length and alignment") {
  std::mt19937_64 rng(7);
  std::string data(300, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t off = 0; off < 9; ++off) {
    for (size_t n = 0; n + off <= data.size(); n += 7) {
      REQUIRE(crc32c::Value(data.data() + off, n) ==
              crc32c::ExtendPortable(0, data.data() + off, n));
    }
  }
}

TEST_CASE("crc32c: block-sized inputs agree with the tables") {
  std::mt19937_64 rng(11);
  std::string data(40000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  // Up to a whole 32 KiB block and beyond, from unaligned starts, from a non-zero CRC.
  const size_t lengths[] = {3071, 3072, 3073, 6143, 6144, 6151, 9216 + 5, 32768, 39990};
  for (size_t off = 0; off < 9; off += 3) {
    for (size_t n : lengths) {
      CAPTURE(off, n);
      REQUIRE(crc32c::Value(data.data() + off, n) ==
              crc32c::ExtendPortable(0, data.data() + off, n));
      REQUIRE(crc32c::Extend(0x12345678u, data.data() + off, n) ==
              crc32c::ExtendPortable(0x12345678u, data.data() + off, n));
    }
  }
}

TEST_CASE(
    "crc32c: every length to 512 (the folding steps and their tails) agrees with the tables") {
  std::mt19937_64 rng(13);
  std::string data(600, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t off : {0, 1, 5}) {
    for (size_t n = 0; n <= 512; ++n) {
      CAPTURE(off, n);
      const auto init = static_cast<uint32_t>(rng());
      REQUIRE(crc32c::Extend(init, data.data() + off, n) ==
              crc32c::ExtendPortable(init, data.data() + off, n));
    }
  }
}

TEST_CASE("crc32c: Extend of two parts equals Value of the whole") {
  CHECK(crc32c::Extend(crc32c::Value("hello ", 6), "world", 5) == crc32c::Value("hello world", 11));
}

TEST_CASE("crc32c: mask differs from the crc and unmasks back") {
  uint32_t crc = crc32c::Value("foo", 3);
  CHECK(crc32c::Mask(crc) != crc);
  CHECK(crc32c::Mask(crc32c::Mask(crc)) != crc);
  CHECK(crc32c::Unmask(crc32c::Mask(crc)) == crc);
  CHECK(crc32c::Unmask(crc32c::Unmask(crc32c::Mask(crc32c::Mask(crc)))) == crc);
}

TEST_CASE("coding: varints and zigzag round-trip at the edges") {
  std::string buf;
  const uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, 0xffffffffull, ~0ull};
  for (uint64_t v : values) PutVarint64(&buf, v);
  const int64_t signed_values[] = {0, -1, 1, INT64_MIN, INT64_MAX};
  for (int64_t v : signed_values) PutVarint64(&buf, ZigZag(v));
  Cursor in(buf);
  for (uint64_t v : values) {
    uint64_t got = 0;
    REQUIRE(in.Varint64(&got));
    CHECK(got == v);
  }
  for (int64_t v : signed_values) {
    uint64_t got = 0;
    REQUIRE(in.Varint64(&got));
    CHECK(UnZigZag(got) == v);
  }
  CHECK(in.empty());
  uint64_t v = 0;
  CHECK_FALSE(in.Varint64(&v));
  std::string overlong(11, '\x80');
  Cursor bad(overlong);
  CHECK_FALSE(bad.Varint64(&v));
}

}  // namespace
}  // namespace mailsweep::results
