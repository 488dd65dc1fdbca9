// The sweep's record sink in a scan: drops the sweep records an earlier run of a resumed scan
// already wrote, and remembers when the last flush began (every record added before it is
// durable once that flush returned), which is what a checkpoint may count on. Used by RunScan.
//
// Thread rules: Add() and Flush() on the sweeper's receive thread (the sink's one producer);
// flushed_ns() and skipped() from any thread. `inner` and `known` are borrowed and must outlive
// the sink; `known` may be null (nothing to drop).
#ifndef MAILSWEEP_ENGINE_SCAN_DEDUP_SWEEP_SINK_H_
#define MAILSWEEP_ENGINE_SCAN_DEDUP_SWEEP_SINK_H_

#include <atomic>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "results/format/record_sink.h"

namespace mailsweep::engine {

class DedupSweepSink final : public results::RecordSink {
 public:
  // `known`: TargetKey()s of (address, port) already recorded (engine/scan/prior_results.h).
  DedupSweepSink(results::RecordSink* inner, const absl::flat_hash_set<uint64_t>* known)
      : inner_(inner), known_(known) {}

  void Add(const results::SweepRecord& r) override;
  void Add(const results::ProbeRecord& r) override { inner_->Add(r); }
  absl::Status Flush() override;

  // MonotonicNs() when the last successful flush began; 0 before the first.
  int64_t flushed_ns() const { return flushed_ns_.load(std::memory_order_acquire); }
  // Sweep records dropped as already known.
  uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }

 private:
  results::RecordSink* inner_;
  const absl::flat_hash_set<uint64_t>* known_;
  std::atomic<int64_t> flushed_ns_{0};
  std::atomic<uint64_t> skipped_{0};
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_DEDUP_SWEEP_SINK_H_
