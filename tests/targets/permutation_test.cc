#include "targets/permutation.h"

#include <catch2/catch.hpp>
#include <vector>

namespace mailsweep::targets {
namespace {

std::vector<uint64_t> Walk(const Permutation& perm, PositionRange range) {
  std::vector<uint64_t> out;
  Permutation::Cursor c = perm.Begin(range);
  for (uint64_t i; c.Next(&i);) out.push_back(i);
  return out;
}

// Every index of [0, n) exactly once.
void RequireExactlyOnce(const std::vector<uint64_t>& order, uint64_t n) {
  REQUIRE(order.size() == n);
  std::vector<bool> seen(n, false);
  for (uint64_t i : order) {
    REQUIRE(i < n);
    REQUIRE_FALSE(seen[i]);
    seen[i] = true;
  }
}

TEST_CASE("Permutation visits every index exactly once for many sizes") {
  for (uint64_t n : {1ULL, 2ULL, 3ULL, 4ULL, 7ULL, 97ULL, 100ULL, 256ULL, 1021ULL, 1024ULL,
                     65536ULL, 65537ULL, 999983ULL, 1000000ULL, 1048576ULL}) {
    for (uint64_t seed : {0ULL, 1ULL, 0xfeedULL}) {
      INFO("n=" << n << " seed=" << seed);
      auto perm = Permutation::Create(n, seed);
      REQUIRE(perm.ok());
      RequireExactlyOnce(Walk(*perm, perm->All()), n);
    }
  }
}

TEST_CASE("Shards are disjoint and together cover the whole walk") {
  for (uint64_t n : {1ULL, 10ULL, 4099ULL, 100000ULL}) {
    auto perm = Permutation::Create(n, 42);
    REQUIRE(perm.ok());
    for (uint64_t shards : {1ULL, 2ULL, 3ULL, 7ULL}) {
      INFO("n=" << n << " shards=" << shards);
      std::vector<uint64_t> all;
      uint64_t expected_begin = 0;
      for (uint64_t s = 0; s < shards; ++s) {
        PositionRange r = perm->Shard(shards, s);
        REQUIRE(r.begin == expected_begin);
        expected_begin = r.end;
        std::vector<uint64_t> part = Walk(*perm, r);
        all.insert(all.end(), part.begin(), part.end());
      }
      REQUIRE(expected_begin == perm->cycle_length());
      RequireExactlyOnce(all, n);
    }
  }
}

TEST_CASE("The same seed gives the same order, another seed another order") {
  const uint64_t n = 50000;
  auto a = Walk(*Permutation::Create(n, 7), Permutation::Create(n, 7)->All());
  auto b = Walk(*Permutation::Create(n, 7), Permutation::Create(n, 7)->All());
  auto c = Walk(*Permutation::Create(n, 8), Permutation::Create(n, 8)->All());
  CHECK(a == b);
  CHECK(a != c);
  // Not merely rotated: the first targets of the two orders differ.
  size_t same_prefix = 0;
  while (same_prefix < a.size() && a[same_prefix] == c[same_prefix]) ++same_prefix;
  CHECK(same_prefix < 3);
}

TEST_CASE("A cursor resumed at a saved position continues the walk exactly") {
  auto perm = Permutation::Create(200003, 3);
  REQUIRE(perm.ok());
  const std::vector<uint64_t> full = Walk(*perm, perm->All());
  Permutation::Cursor c = perm->Begin(perm->All());
  std::vector<uint64_t> resumed;
  for (uint64_t i; resumed.size() < 12345 && c.Next(&i);) resumed.push_back(i);
  const uint64_t saved = c.position();
  Permutation::Cursor again = perm->At(saved, perm->cycle_length());
  for (uint64_t i; again.Next(&i);) resumed.push_back(i);
  CHECK(resumed == full);
}

TEST_CASE("SplitRange cuts a range into contiguous near-equal parts") {
  PositionRange r{10, 110};
  uint64_t next = 10;
  for (uint64_t part = 0; part < 7; ++part) {
    PositionRange p = SplitRange(r, 7, part);
    CHECK(p.begin == next);
    CHECK((p.size() == 14 || p.size() == 15));
    next = p.end;
  }
  CHECK(next == 110);
}

TEST_CASE("Permutation refuses an empty space") {
  CHECK(Permutation::Create(0, 1).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mailsweep::targets
