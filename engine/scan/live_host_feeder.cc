#include "engine/scan/live_host_feeder.h"

#include <chrono>

namespace mailsweep::engine {

void LiveHostFeeder::Start() {
  thread_ = std::thread([this] { Main(); });
}

void LiveHostFeeder::OnLiveHost(const results::SweepRecord& r) {
  if (claimed_ != nullptr && claimed_->contains(TargetKey(r.address, r.port))) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Push({r.address, r.port});
}

bool LiveHostFeeder::ShouldPause() {
  const uint64_t backlog = Backlog();
  bool paused = paused_.load(std::memory_order_relaxed);
  if (paused && backlog < pause_backlog_ / 2) {
    paused_.store(false, std::memory_order_relaxed);
    return false;
  }
  if (!paused && backlog > pause_backlog_) {
    paused_.store(true, std::memory_order_relaxed);
    return true;
  }
  return paused;
}

void LiveHostFeeder::FinishInput() {
  while (overflow_head_ < overflow_.size() && !abandon_.load()) {
    if (ring_.TryPush(overflow_[overflow_head_])) {
      ++overflow_head_;
      overflow_size_.fetch_sub(1, std::memory_order_relaxed);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  input_done_.store(true);
}

void LiveHostFeeder::Push(LiveTarget t) {
  while (overflow_head_ < overflow_.size() && ring_.TryPush(overflow_[overflow_head_])) {
    ++overflow_head_;
    overflow_size_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (overflow_head_ == overflow_.size()) {
    overflow_.clear();
    overflow_head_ = 0;
    if (ring_.TryPush(t)) return;
  }
  overflow_.push_back(t);
  overflow_size_.fetch_add(1, std::memory_order_relaxed);
}

void LiveHostFeeder::Main() noexcept {
  LiveTarget t;
  for (;;) {
    if (ring_.TryPop(&t)) {
      if (overlay_ != nullptr && targets::IsExcluded(overlay_->Current(), t.address)) {
        opted_out_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      bool taken = false;
      while (!(taken = pool_->TrySubmit(t.address, t.port)) &&
             !abandon_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      // Counted by what happened to it: a target the pool took is the pool's to count.
      (taken ? submitted_ : abandoned_).fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (input_done_.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  done_.store(true);
}

}  // namespace mailsweep::engine
