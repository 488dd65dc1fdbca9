// Carries live hosts from the sweeper's receive thread to the prober pool without ever dropping
// one, and holds the senders back while the probers have a backlog. Used by RunScan.
//
//   receive thread: OnLiveHost() -> bounded ring (an overflow vector behind it: never blocks)
//   feeder thread:  ring -> ProberPool::TrySubmit(), tried again while the pool's queues are full
//   sender threads: ShouldPause(), true above `pause_backlog` waiting hosts, false again below half
//
// Thread rules: AddPending() and Start() on the main thread before the sweep starts; OnLiveHost()
// on the receive thread only; FinishInput() on the main thread once the receive thread has
// ended; ShouldPause() from any sender thread; Abandon(), done(), Backlog() and the counters from
// any thread. The pool and `claimed` are borrowed and must outlive the feeder; `claimed` may be
// null; so may `overlay` (opt-outs since the start: such hosts are dropped, counted, not
// probed), which must outlive the feeder too. The destructor joins the feeder thread, which
// ends after FinishInput() (with Abandon() first, at once).
#ifndef MAILSWEEP_ENGINE_SCAN_LIVE_HOST_FEEDER_H_
#define MAILSWEEP_ENGINE_SCAN_LIVE_HOST_FEEDER_H_

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/prober/handoff_queue.h"
#include "engine/prober/prober_pool.h"
#include "engine/scan/prior_results.h"
#include "engine/sweep/sweeper.h"
#include "targets/exclusion_overlay.h"

namespace mailsweep::engine {

class LiveHostFeeder final : public LiveHostHandler, public SendThrottle {
 public:
  // `claimed`: TargetKey()s that already have a probe record or are pending: skipped when found.
  LiveHostFeeder(ProberPool* pool, const absl::flat_hash_set<uint64_t>* claimed, uint32_t ring,
                 uint64_t pause_backlog, const targets::ExclusionOverlay* overlay = nullptr)
      : pool_(pool),
        claimed_(claimed),
        overlay_(overlay),
        ring_(ring),
        pause_backlog_(pause_backlog) {}

  ~LiveHostFeeder() override { Join(); }

  // Before Start(), on the main thread.
  void AddPending(LiveTarget t) { Push(t); }

  void Start();

  // Receive thread.
  void OnLiveHost(const results::SweepRecord& r) override;

  // Sender threads, once per batch. Hysteresis: pause above the backlog, go again below half.
  bool ShouldPause() override;

  // Main thread, once the producer (the receive thread) has ended: hands the overflow over and
  // lets the feeder finish when everything is submitted.
  void FinishInput();

  // Any thread: stop retrying; what is not yet with the pool is left for a resume.
  void Abandon() { abandon_.store(true); }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_.load(); }
  // Live hosts waiting for a prober: in the ring, the overflow and the pool's queues.
  uint64_t Backlog() const {
    return ring_.ApproxSize() + overflow_size_.load(std::memory_order_relaxed) +
           pool_->Stats().queued;
  }
  uint64_t submitted() const { return submitted_.load(std::memory_order_relaxed); }
  // Any thread: the overflow's count is the atomic one, not the producer's vector.
  uint64_t abandoned() const {
    return abandoned_.load(std::memory_order_relaxed) +
           (abandon_.load() ? overflow_size_.load(std::memory_order_relaxed) : 0);
  }
  uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
  // Live hosts opted out (the overlay) before a prober took them: no probe record, not a loss.
  uint64_t opted_out() const { return opted_out_.load(std::memory_order_relaxed); }

 private:
  // One producer at a time (main thread before Start, then the receive thread, then the main
  // thread again in FinishInput).
  void Push(LiveTarget t);
  void Main() noexcept;

  ProberPool* pool_;
  const absl::flat_hash_set<uint64_t>* claimed_;
  const targets::ExclusionOverlay* overlay_;
  HandoffQueue<LiveTarget> ring_;
  const uint64_t pause_backlog_;
  std::vector<LiveTarget> overflow_;  // producer side only
  size_t overflow_head_ = 0;
  std::atomic<uint64_t> overflow_size_{0};
  std::atomic<bool> paused_{false};
  std::atomic<bool> input_done_{false};
  std::atomic<bool> abandon_{false};
  std::atomic<bool> done_{false};
  std::atomic<uint64_t> submitted_{0};
  std::atomic<uint64_t> abandoned_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> opted_out_{0};
  std::thread thread_;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_LIVE_HOST_FEEDER_H_
