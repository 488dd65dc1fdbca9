// The prober pool: threads that each own one epoll loop, a slab of connections addressed by
// (slot, generation) in epoll_event.data.u64, a timer wheel and a per-loop RecordSink, and that
// talk POP3/IMAP/SMTP (+TLS) to every submitted (address, port) through probes::Session. Work
// arrives through TrySubmit() (a lock-free bounded hand-off queue per loop plus an eventfd
// wake-up); one ProbeRecord per target leaves through the sink.
//
// Limits: a global cap on concurrent connections (split evenly over the loops), caps per
// destination address and /24 (a target goes to the loop its /24 hashes to, so these hold across
// loops), an adaptive start rate (token bucket per loop), deadlines for connect, each read and
// the whole target, and retries of transient outcomes. Back-pressure: TrySubmit() returns false
// when the target's loop queue is full; Stats() reports in-flight vs cap and queue depth.
//
// Thread rules: TrySubmit(), Stats(), Drain() and the destructor may be called from any thread
// (Drain()/destructor from one at a time). The sink factory must outlive the pool.
//
// Example:
//   auto pool = ProberPool::Create(options, &sinks);
//   for (const auto& t : targets) while (!(*pool)->TrySubmit(t.address, t.port)) Sleep(1ms);
//   (*pool)->Drain(absl::Seconds(60));
#ifndef MAILSWEEP_ENGINE_PROBER_PROBER_POOL_H_
#define MAILSWEEP_ENGINE_PROBER_PROBER_POOL_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/prober/prober_options.h"
#include "probes/tls_client.h"
#include "results/format/record_sink.h"
#include "results/format/records.h"

namespace mailsweep::engine {

struct ProberStats {
  uint64_t submitted = 0;
  uint64_t started = 0;  // connections begun (retries included)
  uint64_t done = 0;     // records written
  uint64_t in_flight = 0;
  uint64_t queued = 0;        // not started yet: queued, waiting for a retry or a destination cap
  uint64_t retried = 0;       // attempts that ended transiently and were scheduled again
  uint64_t abandoned = 0;     // targets dropped without a record (a stop, a drain deadline)
  uint64_t local_errors = 0;  // socket()/bind()/connect() failed on our side (EMFILE, no
                              // ports): the target waited and was tried again, without a record
  uint64_t unprobed = 0;      // targets given up after local errors only, for ~10 s: no record
  uint64_t opted_out = 0;     // targets not started: opted out since (ProberOptions::overlay)
  uint32_t capacity = 0;      // max concurrent connections
  uint64_t queue_capacity = 0;
  double connect_rate = 0;  // the current start rate, all loops (0: unlimited)
  uint32_t window = 0;      // connections allowed in flight now (the adaptive window), all loops
  uint32_t lag_ms = 0;      // the longest busy stretch between two epoll_waits in the last
                            // second (largest of the loops)
  uint32_t lag_max_ms = 0;  // ... since the start
  std::array<uint64_t, results::kProbeOutcomeSlots> outcomes{};  // by ProbeOutcome value
};

class ProberLoop;

class ProberPool {
 public:
  // Starts the threads. Each loop gets its own sink from `sinks` (borrowed).
  static absl::StatusOr<std::unique_ptr<ProberPool>> Create(const ProberOptions& options,
                                                            results::RecordSinkFactory* sinks);
  // The same without starting the threads, for a command that must finish its set-up (open its
  // sockets, drop its privileges) first: Start() them once, on the thread that made the pool.
  // TrySubmit() queues before that too.
  static absl::StatusOr<std::unique_ptr<ProberPool>> CreateStopped(
      const ProberOptions& options, results::RecordSinkFactory* sinks);
  void Start();
  ~ProberPool();  // Drain(0): in-flight targets are ended as timed out
  ProberPool(const ProberPool&) = delete;
  ProberPool& operator=(const ProberPool&) = delete;

  // Queues one target; false when its loop's queue is full or the pool is draining. On true
  // the pool owns t's name (t.name is left empty); on false t is as it was, so ignoring the
  // result loses nothing.
  [[nodiscard]] bool TrySubmit(uint32_t address, uint16_t port) {
    ProbeTarget t{address, port};
    return TrySubmit(t);
  }
  [[nodiscard]] bool TrySubmit(ProbeTarget& t);
  // Queues a prefix of `targets`; returns how many were taken (stops at the first refusal); the
  // pool owns the names of those.
  size_t TrySubmitBatch(std::span<ProbeTarget> targets);
  ProberStats Stats() const;
  // True when every target submitted so far has its record or was counted as abandoned,
  // unprobed or opted out. Thread-safe; exact once nothing is being submitted.
  bool Idle() const;
  // True once a loop could not write its records (a full disk, a closed pipe): the producer
  // should stop feeding targets whose results would be lost. Thread-safe.
  bool SinkFailed() const;
  // A graceful stop: the loops start no new connection and count what is queued as abandoned;
  // connections in flight go on to their end. Thread-safe.
  void AbandonQueued();
  // max(in-flight / cap, queued / queue capacity), 0..1: the producer's brake pedal.
  double Saturation() const;
  // Stops accepting, waits until everything queued is done or `timeout` passes, then ends the
  // remaining connections (their records say what they reached, as on a timeout), drops what is
  // still queued (counted as abandoned), flushes the sinks and joins the threads. Returns the
  // first sink error.
  absl::Status Drain(absl::Duration timeout);

 private:
  ProberPool() = default;
  ProberOptions options_;
  std::unique_ptr<probes::TlsContext> tls_;
  std::vector<std::unique_ptr<ProberLoop>> loops_;
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
  bool joined_ = false;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_PROBER_POOL_H_
