#include "base/per_thread_counters.h"

#include <catch2/catch.hpp>
#include <vector>

namespace mailsweep {
namespace {

struct alignas(kCacheLineBytes) Block {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> retried{0};
  std::atomic<uint64_t> waiting{0};
};

struct Totals {
  uint64_t sent = 0;
  uint64_t queued = 0;
  uint64_t other = 7;
};

}  // namespace

TEST_CASE("AddCounters adds every named counter of every block", "[per_thread_counters]") {
  static_assert(alignof(Block) == kCacheLineBytes, "one block per cache line");
  static constexpr CounterSum<Totals, Block> kSums[] = {
      {&Block::sent, &Totals::sent},
      {&Block::retried, &Totals::queued},
      {&Block::waiting, &Totals::queued},  // two counters into one total
  };
  std::vector<Block> blocks(3);
  for (uint64_t i = 0; i < blocks.size(); ++i) {
    blocks[i].sent.store(10 * (i + 1), std::memory_order_relaxed);
    blocks[i].retried.store(i, std::memory_order_relaxed);
    blocks[i].waiting.store(100, std::memory_order_relaxed);
  }
  Totals totals;
  for (const Block& b : blocks) AddCounters(b, kSums, &totals);
  CHECK(totals.sent == 60);
  CHECK(totals.queued == 303);
  CHECK(totals.other == 7);  // not named: untouched
}

}  // namespace mailsweep
