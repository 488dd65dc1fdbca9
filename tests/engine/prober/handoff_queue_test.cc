#include "engine/prober/handoff_queue.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

namespace mailsweep::engine {
namespace {

// A trivially copyable value, as a prober loop's queued targets are.
struct Item {
  uint32_t address;
  uint16_t port;
};

TEST_CASE("HandoffQueueIsBoundedAndFifo") {
  HandoffQueue<Item> q(4);
  CHECK(q.capacity() == 4);
  for (uint32_t i = 0; i < 4; ++i) CHECK(q.TryPush({i, 110}));
  CHECK_FALSE(q.TryPush({9, 110}));
  CHECK(q.ApproxSize() == 4);
  Item t;
  for (uint32_t i = 0; i < 4; ++i) {
    REQUIRE(q.TryPop(&t));
    CHECK(t.address == i);
  }
  CHECK_FALSE(q.TryPop(&t));
}

TEST_CASE("HandoffQueueManyProducersLoseNothing") {
  HandoffQueue<Item> q(1024);
  constexpr uint32_t kPerThread = 20000;
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < 3; ++p) {
    producers.emplace_back([&q, p] {
      for (uint32_t i = 0; i < kPerThread; ++i) {
        while (!q.TryPush({p * kPerThread + i, 25})) std::this_thread::yield();
      }
    });
  }
  std::set<uint32_t> seen;
  Item t;
  while (seen.size() < 3 * kPerThread) {
    if (q.TryPop(&t)) {
      CHECK(seen.insert(t.address).second);
    } else {
      std::this_thread::yield();
    }
  }
  for (auto& th : producers) th.join();
  CHECK(seen.size() == 3 * kPerThread);
}

}  // namespace
}  // namespace mailsweep::engine
