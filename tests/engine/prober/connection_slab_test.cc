#include "engine/prober/connection_slab.h"

#include <catch2/catch.hpp>
#include <set>

namespace mailsweep::engine {
namespace {

TEST_CASE("ConnectionSlabGrowsAChunkAtATimeAndReusesFreedSlots") {
  ConnectionSlab slab;
  CHECK(slab.size() == 0);
  std::set<uint32_t> slots;
  for (uint32_t i = 0; i < ConnectionSlab::kChunk; ++i) slots.insert(slab.Alloc());
  CHECK(slots.size() == ConnectionSlab::kChunk);
  CHECK(slab.size() == ConnectionSlab::kChunk);
  CHECK(slab.Alloc() == ConnectionSlab::kChunk);  // the next chunk
  CHECK(slab.size() == 2 * ConnectionSlab::kChunk);
  slab.Free(7);
  CHECK(slab.Alloc() == 7);
  CHECK(slab.at(7).slot == 7);
}

TEST_CASE("ConnectionSlabLookupDropsFreeSlotsAndEarlierOccupants") {
  ConnectionSlab slab;
  const uint32_t slot = slab.Alloc();
  Connection& c = slab.at(slot);
  ++c.generation;
  c.phase = Connection::Phase::kConnecting;
  const uint64_t tag = c.tag();
  CHECK(slab.Lookup(tag) == &c);
  CHECK(slab.Lookup(uint64_t{ConnectionSlab::kChunk} + 5) == nullptr);  // beyond the slab
  c.phase = Connection::Phase::kFree;  // ended
  CHECK(slab.Lookup(tag) == nullptr);
  ++c.generation;  // a new occupant of the same slot
  c.phase = Connection::Phase::kActive;
  CHECK(slab.Lookup(tag) == nullptr);
  CHECK(slab.Lookup(c.tag()) == &c);
}

}  // namespace
}  // namespace mailsweep::engine
