// Counters that threads publish for a status line: each thread (a sweeper sender, a prober loop)
// counts in its own cache-line-aligned block of atomics, written by that thread alone with
// relaxed stores (or relaxed adds where a second writer exists), and a reader (Stats(), once a
// second) adds the blocks up with relaxed loads. No lock, and nothing here writes the counters,
// so the hot paths stay as they are. Used by engine/sweep/sweeper.cc and
// engine/prober/prober_pool.cc.
//
// Example:
//   struct alignas(kCacheLineBytes) SenderCounters { std::atomic<uint64_t> sent{0}; ... };
//   static constexpr CounterSum<SweepStats, SenderCounters> kSums[] = {
//       {&SenderCounters::sent, &SweepStats::sent}, ...};
//   for (const SenderCounters& c : counters) AddCounters(c, kSums, &stats);  // any thread
#ifndef MAILSWEEP_BASE_PER_THREAD_COUNTERS_H_
#define MAILSWEEP_BASE_PER_THREAD_COUNTERS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

namespace mailsweep {

// One block per thread on its own cache line, so that counting does not bounce lines between
// cores.
inline constexpr size_t kCacheLineBytes = 64;

// Where one counter of a block goes in the stats snapshot: `to` += `from`.
template <typename Stats, typename Block>
struct CounterSum {
  std::atomic<uint64_t> Block::*from;
  uint64_t Stats::*to;
};

// Adds every counter `sums` names from `block` into `*stats`, with relaxed loads. Any thread.
template <typename Stats, typename Block>
void AddCounters(const Block& block, std::span<const CounterSum<Stats, Block>> sums, Stats* stats) {
  for (const CounterSum<Stats, Block>& sum : sums) {
    stats->*sum.to += (block.*sum.from).load(std::memory_order_relaxed);
  }
}

// The same for a built-in array of sums (deduces the types).
template <typename Stats, typename Block, size_t N>
void AddCounters(const Block& block, const CounterSum<Stats, Block> (&sums)[N], Stats* stats) {
  AddCounters(block, std::span<const CounterSum<Stats, Block>>(sums), stats);
}

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_PER_THREAD_COUNTERS_H_
