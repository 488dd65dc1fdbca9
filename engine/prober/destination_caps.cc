#include "engine/prober/destination_caps.h"

#include <utility>

namespace mailsweep::engine {

bool DestinationCaps::Allow(uint32_t address) const {
  if (per_address_cap_ != 0) {
    auto it = per_address_.find(address);
    if (it != per_address_.end() && it->second >= per_address_cap_) return false;
  }
  if (per_prefix_cap_ != 0) {
    auto it = per_prefix_.find(Prefix(address));
    if (it != per_prefix_.end() && it->second >= per_prefix_cap_) return false;
  }
  return true;
}

void DestinationCaps::Hold(ProbeTarget t) {
  held_[Prefix(t.address)].push_back(std::move(t));
  ++held_count_;
}

void DestinationCaps::Opened(uint32_t address) {
  ++per_address_[address];
  ++per_prefix_[Prefix(address)];
}

void DestinationCaps::Closed(uint32_t address) {
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);
  }
  if (auto it = per_prefix_.find(Prefix(address)); it != per_prefix_.end() && --it->second == 0) {
    per_prefix_.erase(it);
  }
  if (auto it = held_.find(Prefix(address)); it != held_.end()) {
    std::deque<ProbeTarget>& list = it->second;
    for (auto t = list.begin(); t != list.end(); ++t) {
      if (!Allow(t->address)) continue;
      ready_.push_back(std::move(*t));
      list.erase(t);
      --held_count_;
      break;
    }
    if (list.empty()) held_.erase(it);
  }
}

bool DestinationCaps::PopReady(ProbeTarget* t) {
  if (ready_.empty()) return false;
  *t = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

uint64_t DestinationCaps::DropAll() {
  const uint64_t n = waiting();
  held_.clear();  // the targets' names with them
  held_count_ = 0;
  ready_.clear();
  return n;
}

}  // namespace mailsweep::engine
