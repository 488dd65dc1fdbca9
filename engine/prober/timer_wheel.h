// A hashed timer wheel for one prober loop: one timer per connection slot (its nearest
// deadline), O(1) schedule/cancel, due timers collected once per tick. Ticks are `tick_ms` wide;
// deadlines further out than one revolution stay in their slot for later rounds.
//
// Thread rule: owned by one loop thread. No allocation after Resize() except the due list's
// growth to the largest batch seen.
//
// Example:
//   TimerWheel wheel(10, 4096, NowMs());
//   wheel.Resize(1024);
//   wheel.Schedule(slot, NowMs() + 5000);
//   wheel.Advance(NowMs(), [&](uint32_t id) { OnDeadline(id); });
#ifndef MAILSWEEP_ENGINE_PROBER_TIMER_WHEEL_H_
#define MAILSWEEP_ENGINE_PROBER_TIMER_WHEEL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mailsweep::engine {

class TimerWheel {
 public:
  TimerWheel(uint32_t tick_ms, uint32_t slots, uint64_t now_ms);

  // Makes ids [0, n) usable.
  void Resize(uint32_t n);
  // (Re)arms the timer of `id` for `at_ms` (a past time fires at the next Advance()).
  void Schedule(uint32_t id, uint64_t at_ms);
  void Cancel(uint32_t id);
  bool armed(uint32_t id) const { return nodes_[id].armed; }
  size_t size() const { return armed_count_; }

  // Fires (calls fire(id), after unlinking) every timer due at or before now_ms. `fire` may
  // schedule or cancel any timer.
  template <typename F>
  void Advance(uint64_t now_ms, F&& fire) {
    CollectDue(now_ms);
    for (uint32_t id : due_) {
      if (nodes_[id].fired_marker) {
        nodes_[id].fired_marker = false;
        fire(id);
      }
    }
  }

  // Milliseconds until the next tick that has to be looked at; -1 when nothing is armed.
  int NextTimeoutMs(uint64_t now_ms) const;

 private:
  static constexpr uint32_t kNil = 0xffffffffu;
  struct Node {
    uint32_t next = kNil;
    uint32_t prev = kNil;
    uint32_t slot = 0;
    uint64_t at_tick = 0;
    bool armed = false;
    bool fired_marker = false;  // collected as due and not re-armed or cancelled since
  };
  void Unlink(uint32_t id);
  void CollectDue(uint64_t now_ms);

  uint32_t tick_ms_;
  uint32_t mask_;
  uint64_t current_tick_;  // the next tick to examine
  size_t armed_count_ = 0;
  std::vector<uint32_t> heads_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> due_;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_TIMER_WHEEL_H_
