#include "engine/prober/prober_pool.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "base/per_thread_counters.h"
#include "engine/prober/prober_loop.h"

namespace mailsweep::engine {

absl::StatusOr<std::unique_ptr<ProberPool>> ProberPool::Create(const ProberOptions& options,
                                                               results::RecordSinkFactory* sinks) {
  auto pool = CreateStopped(options, sinks);
  if (pool.ok()) (*pool)->Start();
  return pool;
}

absl::StatusOr<std::unique_ptr<ProberPool>> ProberPool::CreateStopped(
    const ProberOptions& options, results::RecordSinkFactory* sinks) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  std::unique_ptr<ProberPool> pool(new ProberPool());
  pool->options_ = options;
  auto tls = probes::TlsContext::Create(options.tls);
  if (!tls.ok()) return tls.status();
  pool->tls_ = std::move(*tls);
  const uint32_t n = options.threads;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t cap = options.max_connections / n + (i < options.max_connections % n ? 1 : 0);
    double rate = options.connect_rate == 0 ? 0.0 : static_cast<double>(options.connect_rate) / n;
    auto loop = ProberLoop::Create(&pool->options_, pool->tls_.get(), sinks->NewSink(), cap, rate);
    if (!loop.ok()) return loop.status();
    pool->loops_.push_back(std::move(*loop));
  }
  return pool;
}

void ProberPool::Start() {
  assert(threads_.empty());
  for (auto& loop : loops_) {
    ProberLoop* l = loop.get();
    threads_.emplace_back([l] { l->Run(); });
  }
}

ProberPool::~ProberPool() {
  if (!joined_) (void)Drain(absl::ZeroDuration());
}

bool ProberPool::TrySubmit(ProbeTarget& t) {
  if (draining_.load(std::memory_order_relaxed)) return false;
  // Every target of a /24 goes to one loop, so that its caps per address and per /24 hold for
  // the whole pool. The multiplier spreads neighbouring /24s over the loops.
  const uint32_t prefix = t.address >> 8;
  const size_t loop = (uint64_t{prefix * 0x9E3779B1u} * loops_.size()) >> 32;
  return loops_[loop]->Submit(t);
}

size_t ProberPool::TrySubmitBatch(std::span<ProbeTarget> targets) {
  size_t n = 0;
  while (n < targets.size() && TrySubmit(targets[n])) ++n;
  return n;
}

// The loops' counters that add up into the pool's (base/per_thread_counters.h); the rest are
// rates, maxima and arrays, added by hand in Stats().
constexpr CounterSum<ProberStats, LoopCounters> kLoopSums[] = {
    {&LoopCounters::submitted, &ProberStats::submitted},
    {&LoopCounters::started, &ProberStats::started},
    {&LoopCounters::done, &ProberStats::done},
    {&LoopCounters::in_flight, &ProberStats::in_flight},
    {&LoopCounters::abandoned, &ProberStats::abandoned},
    {&LoopCounters::local_errors, &ProberStats::local_errors},
    {&LoopCounters::unprobed, &ProberStats::unprobed},
    {&LoopCounters::opted_out, &ProberStats::opted_out},
    {&LoopCounters::retrying, &ProberStats::queued},
    {&LoopCounters::waiting, &ProberStats::queued},
    {&LoopCounters::retried, &ProberStats::retried},
};

ProberStats ProberPool::Stats() const {
  ProberStats s;
  for (const auto& loop : loops_) {
    const LoopCounters& c = loop->counters();
    AddCounters(c, kLoopSums, &s);
    s.connect_rate += c.connect_rate.load(std::memory_order_relaxed);
    s.window += c.window.load(std::memory_order_relaxed);
    s.lag_ms = std::max(s.lag_ms, c.lag_ms.load(std::memory_order_relaxed));
    s.lag_max_ms = std::max(s.lag_max_ms, c.lag_max_ms.load(std::memory_order_relaxed));
    for (size_t i = 0; i < s.outcomes.size(); ++i) {
      s.outcomes[i] += c.outcomes[i].load(std::memory_order_relaxed);
    }
    s.queued += loop->queued();
    s.capacity += loop->max_connections();
    s.queue_capacity += loop->queue_capacity();
  }
  return s;
}

bool ProberPool::Idle() const {
  for (const auto& loop : loops_) {
    if (!loop->idle()) return false;
  }
  return true;
}

void ProberPool::AbandonQueued() {
  for (auto& loop : loops_) loop->AbandonQueued();
}

bool ProberPool::SinkFailed() const {
  for (const auto& loop : loops_) {
    if (loop->counters().sink_failed.load(std::memory_order_acquire)) return true;
  }
  return false;
}

double ProberPool::Saturation() const {
  ProberStats s = Stats();
  double a = s.capacity ? static_cast<double>(s.in_flight) / s.capacity : 0.0;
  double b = s.queue_capacity ? static_cast<double>(s.queued) / s.queue_capacity : 0.0;
  return a > b ? a : b;
}

absl::Status ProberPool::Drain(absl::Duration timeout) {
  if (joined_) return absl::OkStatus();
  draining_.store(true);
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  for (;;) {
    if (Idle() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& loop : loops_) loop->RequestStop();
  for (auto& t : threads_) t.join();
  joined_ = true;
  absl::Status first;
  for (const auto& loop : loops_) {
    absl::Status s = loop->sink_status();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace mailsweep::engine
