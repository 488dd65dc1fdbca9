// A bounded multi-producer multi-consumer queue without locks (Vyukov's sequence-numbered ring):
// the hand-off from the sweeper's receive thread (or `mailsweep probe`'s reader) to a prober
// loop. TryPush() fails when full: that is the back-pressure signal. Capacity is a power of two.
//
// Thread rules: TryPush/TryPop/ApproxSize from any thread. T must be trivially copyable.
//
// Example:
//   HandoffQueue<QueuedTarget> q(1 << 16);
//   if (!q.TryPush({addr, 110})) SlowDown();
//   QueuedTarget t; while (q.TryPop(&t)) Start(t);
#ifndef MAILSWEEP_ENGINE_PROBER_HANDOFF_QUEUE_H_
#define MAILSWEEP_ENGINE_PROBER_HANDOFF_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <type_traits>

namespace mailsweep::engine {

template <typename T>
class HandoffQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit HandoffQueue(size_t capacity) {
    size_t cap = 2;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    cells_ = std::make_unique<Cell[]>(cap);
    for (size_t i = 0; i < cap; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  [[nodiscard]] bool TryPush(const T& value) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      size_t seq = cell.seq.load(std::memory_order_acquire);
      intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          cell.value = value;
          cell.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  [[nodiscard]] bool TryPop(T* out) {
    size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      size_t seq = cell.seq.load(std::memory_order_acquire);
      intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          *out = cell.value;
          cell.seq.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // empty
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // A snapshot; exact only when no thread is pushing or popping.
  size_t ApproxSize() const {
    size_t t = tail_.load(std::memory_order_relaxed);
    size_t h = head_.load(std::memory_order_relaxed);
    return t >= h ? t - h : 0;
  }
  size_t capacity() const { return mask_ + 1; }

 private:
  struct Cell {
    std::atomic<size_t> seq;
    T value;
  };
  std::unique_ptr<Cell[]> cells_;
  size_t mask_ = 0;
  alignas(64) std::atomic<size_t> head_{0};
  alignas(64) std::atomic<size_t> tail_{0};
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_HANDOFF_QUEUE_H_
