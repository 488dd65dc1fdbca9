#include "engine/scan/dedup_sweep_sink.h"

#include "base/clock.h"
#include "engine/scan/prior_results.h"

namespace mailsweep::engine {

void DedupSweepSink::Add(const results::SweepRecord& r) {
  if (known_ != nullptr && known_->contains(TargetKey(r.address, r.port))) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  inner_->Add(r);
}

absl::Status DedupSweepSink::Flush() {
  const int64_t start = MonotonicNs();
  absl::Status s = inner_->Flush();
  if (s.ok()) flushed_ns_.store(start, std::memory_order_release);
  return s;
}

}  // namespace mailsweep::engine
