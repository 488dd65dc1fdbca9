#include "engine/prober/timer_wheel.h"

#include <algorithm>

namespace mailsweep::engine {

TimerWheel::TimerWheel(uint32_t tick_ms, uint32_t slots, uint64_t now_ms)
    : tick_ms_(tick_ms == 0 ? 1 : tick_ms) {
  uint32_t n = 2;
  while (n < slots) n <<= 1;
  mask_ = n - 1;
  heads_.assign(n, kNil);
  current_tick_ = now_ms / tick_ms_;
}

void TimerWheel::Resize(uint32_t n) {
  if (n > nodes_.size()) nodes_.resize(n);
}

void TimerWheel::Unlink(uint32_t id) {
  Node& node = nodes_[id];
  if (!node.armed) return;
  if (node.prev != kNil) {
    nodes_[node.prev].next = node.next;
  } else {
    heads_[node.slot] = node.next;
  }
  if (node.next != kNil) nodes_[node.next].prev = node.prev;
  node.next = node.prev = kNil;
  node.armed = false;
  --armed_count_;
}

void TimerWheel::Schedule(uint32_t id, uint64_t at_ms) {
  Unlink(id);
  Node& node = nodes_[id];
  node.fired_marker = false;
  node.at_tick = std::max<uint64_t>((at_ms + tick_ms_ - 1) / tick_ms_, current_tick_);
  node.slot = static_cast<uint32_t>(node.at_tick & mask_);
  node.prev = kNil;
  node.next = heads_[node.slot];
  if (node.next != kNil) nodes_[node.next].prev = id;
  heads_[node.slot] = id;
  node.armed = true;
  ++armed_count_;
}

void TimerWheel::Cancel(uint32_t id) {
  Unlink(id);
  nodes_[id].fired_marker = false;
}

void TimerWheel::CollectDue(uint64_t now_ms) {
  due_.clear();
  uint64_t now_tick = now_ms / tick_ms_;
  if (now_tick < current_tick_) return;
  uint64_t steps = std::min<uint64_t>(now_tick - current_tick_ + 1, mask_ + 1);
  for (uint64_t i = 0; i < steps; ++i) {
    uint32_t slot = static_cast<uint32_t>((current_tick_ + i) & mask_);
    for (uint32_t id = heads_[slot]; id != kNil;) {
      uint32_t next = nodes_[id].next;
      if (nodes_[id].at_tick <= now_tick) {
        Unlink(id);
        nodes_[id].fired_marker = true;
        due_.push_back(id);
      }
      id = next;
    }
  }
  current_tick_ = now_tick + 1;
}

int TimerWheel::NextTimeoutMs(uint64_t now_ms) const {
  if (armed_count_ == 0) return -1;
  uint64_t next_ms = current_tick_ * tick_ms_;
  return next_ms <= now_ms ? 0 : static_cast<int>(next_ms - now_ms);
}

}  // namespace mailsweep::engine
