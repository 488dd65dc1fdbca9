// One prober thread's event loop (see prober_pool.h for the whole): epoll, a slab of Connection
// addressed by (slot, generation) packed into epoll_event.data.u64, a timer wheel with each
// connection's nearest deadline, an adaptive token bucket for new connections, caps per
// destination, a retry schedule, a hand-off queue fed by other threads and an eventfd to wake
// the loop when it sleeps.
//
// Fairness and honest deadlines (results must not depend on load): each pass starts at most
// kStartsPerPass connections and handles at most kEventsPerPass events, readiness before
// timers; every start reads the clock itself, so a deadline counts from its own connect(); a
// deadline that fires looks at the socket first (a finished handshake, bytes or EOF waiting) and
// handles that instead of recording a timeout the loop itself caused by being busy.
//
// Where things live: the loop, its starts, retries and records in prober_loop.cc; a
// connection's conversation (connect result, session actions, TLS, deadlines) in
// prober_loop_conversation.cc; the connection and its slab, the retry schedule and the start
// of an attempt (record, socket, connect()) in files of their own.
//
// Thread rules: Run() is the loop thread; Submit(), Wake(), RequestStop() and the counters are
// for any thread. Everything else belongs to the loop thread (debug builds assert it, as muduo's
// assertInLoopThread does, where the loop's work begins: starts, events, deadlines, records).
#ifndef MAILSWEEP_ENGINE_PROBER_PROBER_LOOP_H_
#define MAILSWEEP_ENGINE_PROBER_PROBER_LOOP_H_

#include <array>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "base/per_thread_counters.h"
#include "engine/prober/connection.h"
#include "engine/prober/connection_slab.h"
#include "engine/prober/destination_caps.h"
#include "engine/prober/handoff_queue.h"
#include "engine/prober/prober_options.h"
#include "engine/prober/retry_schedule.h"
#include "engine/prober/start_control.h"
#include "engine/prober/timer_wheel.h"
#include "probes/certificate_cache.h"
#include "probes/tls_client.h"
#include "results/format/record_sink.h"
#include "results/format/records.h"

namespace mailsweep::engine {

// Counters a loop publishes for Stats(): written by the loop thread (`submitted` by the
// submitting thread), read by anyone.
struct alignas(kCacheLineBytes) LoopCounters {
  std::atomic<uint64_t> submitted{0};
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> in_flight{0};
  std::atomic<uint64_t> abandoned{0};
  std::atomic<uint64_t> local_errors{0};
  std::atomic<uint64_t> retrying{0};     // targets waiting to be tried again after a local error
  std::atomic<uint64_t> unprobed{0};     // targets given up: local errors only, for too long
  std::atomic<uint64_t> opted_out{0};    // targets not started: in the options' overlay
  std::atomic<uint64_t> waiting{0};      // retries scheduled and targets held by a destination cap
  std::atomic<uint64_t> retried{0};      // attempts ended transiently and scheduled again
  std::atomic<double> connect_rate{0};   // the current start rate (0: unlimited)
  std::atomic<uint32_t> window{0};       // connections allowed in flight now
  std::atomic<uint32_t> lag_ms{0};       // longest pass in the last full second
  std::atomic<uint32_t> lag_max_ms{0};   // longest pass since the start
  std::atomic<bool> sink_failed{false};  // a flush of the records failed (a full disk, ...)
  std::array<std::atomic<uint64_t>, results::kProbeOutcomeSlots> outcomes{};
};

class ProberLoop {
 public:
  // `options`, `tls` and `sink`'s factory must outlive the loop. `max_connections` and
  // `connect_rate` are this loop's share.
  static absl::StatusOr<std::unique_ptr<ProberLoop>> Create(
      const ProberOptions* options, const probes::TlsContext* tls,
      std::unique_ptr<results::RecordSink> sink, uint32_t max_connections, double connect_rate);
  ~ProberLoop();

  void Run() noexcept;  // until RequestStop(); then ends what is in flight and returns

  // Any thread. True: queued, the name is the loop's (t.name left empty); false: the queue is
  // full and t is as it was.
  [[nodiscard]] bool Submit(ProbeTarget& t);
  void RequestStop();                 // any thread
  void AbandonQueued() {              // any thread: start nothing more, drop what waits
    abandon_queued_.store(true, std::memory_order_release);
    Wake();
  }
  // Every target submitted so far has settled: its record is written, or it was counted as
  // abandoned, unprobed or opted out (any thread). Counts, not queue states, so that no moment
  // in which a target is between two states reads as idle: the settled side is read first.
  bool idle() const {
    const uint64_t settled = counters_.done.load(std::memory_order_acquire) +
                             counters_.abandoned.load(std::memory_order_acquire) +
                             counters_.unprobed.load(std::memory_order_acquire) +
                             counters_.opted_out.load(std::memory_order_acquire);
    return settled >= counters_.submitted.load(std::memory_order_acquire);
  }
  size_t queued() const { return queue_.ApproxSize(); }
  size_t queue_capacity() const { return queue_.capacity(); }
  uint32_t max_connections() const { return max_connections_; }
  const LoopCounters& counters() const { return counters_; }
  absl::Status sink_status() const { return sink_status_; }  // after Run() returned

 private:
  using Conn = Connection;
  // A ProbeTarget as the hand-off queue carries it: trivially copyable, its name a raw string
  // that TargetName::release() gave up and the popping loop thread adopts (or null).
  struct QueuedTarget {
    uint32_t address;
    uint16_t port;
    uint8_t attempt;
    char* name;
  };
  ProberLoop(const ProberOptions* options, const probes::TlsContext* tls,
             std::unique_ptr<results::RecordSink> sink, uint32_t max_connections,
             double connect_rate);

  void Wake();
  void AssertInLoopThread() const {
    assert(loop_thread_ == std::thread::id() || loop_thread_ == std::this_thread::get_id());
  }
  // Starts at most kStartsPerPass targets; true when it stopped with more it could start now.
  bool StartTargets();
  bool NextTarget(ProbeTarget* t);  // the next startable target, in priority order
  void NoteFirstByte(Conn& c);  // the server's first byte, for the start control
  void PublishControl();        // the start rate and window, to the counters
  bool HaveStartable(uint64_t now_ms) const;  // a target waits that could start now
  void PublishWaiting();
  void StartOne(ProbeTarget t);  // consumes t: its name is copied into the record
  void RetryLater(Conn& c, uint64_t now_ms);
  void DropQueued();  // frees and counts as abandoned what is queued or waiting to be retried
  void OnEvent(uint64_t data, uint32_t events);
  void OnConnected(Conn& c);
  void OnReadable(Conn& c);
  void OnDeadline(uint32_t slot);
  void Apply(Conn& c, probes::Action a);
  void BeginTls(Conn& c);
  void AfterTlsInput(Conn& c);
  void ArmRead(Conn& c, uint32_t ms);
  void Reschedule(Conn& c);  // the timer at the nearest of the connection's deadlines
  void Finish(Conn& c);
  bool RetryTransient(Conn& c);  // a transient outcome with retries left: schedule, true
  void Discard(Conn& c);         // ends a connection without a record (abandoned)
  void Release(Conn& c);         // returns the slot of an ended connection to the free list
  void FinishWithOutcome(Conn& c, results::ProbeOutcome outcome);
  void AbortAll();
  void NotePass(uint64_t busy_us, uint64_t now_ms);
  uint32_t AllocSlot();  // a free slot of the slab, the timer wheel grown with it

  const ProberOptions* options_;
  const probes::TlsContext* tls_;
  std::unique_ptr<results::RecordSink> sink_;
  uint32_t max_connections_;
  StartControl control_;  // the adaptive start rate and window of connections in flight
  DestinationCaps caps_;  // per address and per /24; the targets they hold back
  // Loop lag: the longest pass in the current one-second window.
  uint64_t lag_window_ms_ = 0;
  uint32_t lag_window_max_ms_ = 0;

  int epoll_fd_ = -1;
  int event_fd_ = -1;
  HandoffQueue<QueuedTarget> queue_;
  std::thread::id loop_thread_;  // the thread in Run(), once it runs
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> abandon_queued_{false};
  LoopCounters counters_;
  absl::Status sink_status_;

  ConnectionSlab slab_;
  uint32_t in_flight_ = 0;
  TimerWheel wheel_;
  probes::CertificateCache cert_cache_;  // facts of certificates this loop has seen
  std::vector<uint8_t> scratch_;
  uint64_t records_since_flush_ = 0;
  uint64_t last_flush_ms_ = 0;

  // Targets that met a local error, and transient outcomes waiting for their next attempt.
  RetrySchedule retries_;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_PROBER_LOOP_H_
