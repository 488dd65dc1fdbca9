// What other threads ask of a running Sweeper: its figures, its watermark, whether the senders
// apply an opt-out. Kept apart from sweeper.cc, which sends and receives.
#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/sweep/sweeper.h"

namespace mailsweep::engine {

bool Sweeper::OverlaySeen(uint64_t generation) const {
  for (uint32_t t = 0; t < config_.threads; ++t) {
    const uint64_t mark = sender_counters_[t].overlay_mark.load();
    if (mark != kOverlayIdle && mark <= generation) return false;
  }
  return true;
}

bool Sweeper::AwaitOverlay(uint64_t generation, int64_t timeout_ns) const {
  const int64_t end = MonotonicNs() + timeout_ns;
  while (!OverlaySeen(generation)) {
    if (MonotonicNs() >= end) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

uint64_t Sweeper::SentWatermark() const {
  uint64_t c = watermark_chunk_.load(std::memory_order_relaxed);
  const uint64_t from = c;
  while (c < chunk_count_ && chunk_done_[c].load(std::memory_order_acquire)) ++c;
  uint64_t prev = from;
  while (prev < c && !watermark_chunk_.compare_exchange_weak(prev, c)) {
  }
  return std::min(first_position_ + c * config_.chunk_positions, config_.range.end);
}

SweepStats Sweeper::Stats() const {
  SweepStats s;
  const int64_t now = MonotonicNs();
  const int64_t start = start_ns_.load();
  s.elapsed_s = start ? (now - start) * 1e-9 : 0;
  const int64_t first = first_send_ns_.load(std::memory_order_relaxed);
  const int64_t last = last_send_ns_.load(std::memory_order_relaxed);
  s.send_elapsed_s = first && last > first ? (last - first) * 1e-9 : 0;
  s.sending = start && senders_running_.load() > 0;
  s.cooling_down = cooling_down_.load();
  s.done = done_.load();
  s.probes = config_.probes;
  s.positions_total = (config_.range.end - first_position_) * config_.probes;
  static constexpr CounterSum<SweepStats, SenderCounters> kSenderSums[] = {
      {&SenderCounters::sent, &SweepStats::sent},
      {&SenderCounters::retries, &SweepStats::send_retries},
      {&SenderCounters::errors, &SweepStats::send_errors},
      {&SenderCounters::refused, &SweepStats::refused},
      {&SenderCounters::skipped, &SweepStats::skipped},
      {&SenderCounters::positions, &SweepStats::positions_done},
      {&SenderCounters::paused_ms, &SweepStats::paused_ms},
  };
  static constexpr CounterSum<SweepStats, ReceiverCounters> kReceiverSums[] = {
      {&ReceiverCounters::replies, &SweepStats::replies},
      {&ReceiverCounters::open, &SweepStats::open},
      {&ReceiverCounters::closed, &SweepStats::closed},
      {&ReceiverCounters::unreachable, &SweepStats::unreachable},
      {&ReceiverCounters::duplicates, &SweepStats::duplicates},
      {&ReceiverCounters::invalid, &SweepStats::invalid},
      {&ReceiverCounters::opted_out, &SweepStats::opted_out_replies},
      {&ReceiverCounters::pcap_received, &SweepStats::pcap_received},
      {&ReceiverCounters::pcap_dropped, &SweepStats::pcap_dropped},
      {&ReceiverCounters::if_dropped, &SweepStats::if_dropped},
  };
  for (uint32_t t = 0; t < config_.threads; ++t) {
    AddCounters(sender_counters_[t], kSenderSums, &s);
  }
  AddCounters(rx_counters_, kReceiverSums, &s);  // one receive thread
  s.watermark = SentWatermark();
  if (const targets::IntervalSet* x = config_.overlay ? config_.overlay->Current() : nullptr) {
    s.excluded_addresses = x->Count();
  }
  return s;
}

}  // namespace mailsweep::engine
