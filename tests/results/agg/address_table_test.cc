#include "results/agg/address_table.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace mailsweep::results {
namespace {

struct Value {
  uint64_t sum;
  uint32_t count;
  uint32_t first;
};

// Inserts `keys` (repeats allowed) and checks every value and the drained contents against a
// std::map.
void CheckAgainstMap(AddressTable<Value>* table, const std::vector<uint32_t>& keys) {
  std::map<uint32_t, Value> want;
  for (size_t i = 0; i < keys.size(); ++i) {
    Value& v = table->FindOrInsert(keys[i]);
    Value& w = want[keys[i]];
    REQUIRE(v.count == w.count);  // all zero when new
    REQUIRE(v.sum == w.sum);
    if (v.count == 0) v.first = static_cast<uint32_t>(i);
    v.sum += i;
    ++v.count;
    if (w.count == 0) w.first = static_cast<uint32_t>(i);
    w.sum += i;
    ++w.count;
  }
  REQUIRE(table->size() == want.size());
  std::map<uint32_t, Value> got;
  table->Drain([&](uint32_t key, const Value& v) {
    CHECK(got.count(key) == 0);  // each key once
    got[key] = v;
  });
  CHECK(table->size() == 0);
  REQUIRE(got.size() == want.size());
  for (const auto& [key, w] : want) {
    const Value& g = got[key];
    CHECK(g.sum == w.sum);
    CHECK(g.count == w.count);
    CHECK(g.first == w.first);
  }
}

TEST_CASE("address table: random keys with repeats equal a map, through growth and reuse") {
  std::mt19937 rng(7);
  AddressTable<Value> table(16);  // small: it must grow many times
  for (uint32_t n : {0u, 1u, 7u, 8u, 9u, 100u, 5000u, 40000u}) {
    std::vector<uint32_t> keys;
    std::uniform_int_distribution<uint32_t> key(0, n < 100 ? 50 : 4 * n);
    for (uint32_t i = 0; i < 3 * n; ++i) keys.push_back(key(rng));
    CheckAgainstMap(&table, keys);  // drained: the next round reuses the table
  }
}

TEST_CASE("address table: extreme keys, and keys that all want the same slots") {
  AddressTable<Value> table(64);
  CheckAgainstMap(&table, {0u, 0xfffffffeu, 1u, 0u, 0xfffffffeu, 0x7fffffffu});
  // Multiples of 2^26 share their Fibonacci hash's top bits in a 64-slot table's first
  // lookups more than random keys would; and keys that all land at the table's last slots
  // make runs that reach past the capacity into the spill area, which must grow the table
  // rather than lose a key.
  std::vector<uint32_t> clustered;
  for (uint32_t i = 0; i < 64; ++i) clustered.push_back(i << 26);
  for (uint32_t k = 0, found = 0; found < 200 && k < (1u << 24); ++k) {
    if ((k * 0x9e3779b9u) >> 26 == 63) {  // the last of 64 slots
      clustered.push_back(k);
      ++found;
    }
  }
  CheckAgainstMap(&table, clustered);
  CheckAgainstMap(&table, clustered);  // again, after the growth
}

}  // namespace
}  // namespace mailsweep::results
