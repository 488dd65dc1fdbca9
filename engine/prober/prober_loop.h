// One prober thread's event loop (see prober_pool.h for the whole): epoll, a slab of Conn
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
// Thread rules: Run() is the loop thread; Submit(), Wake(), RequestStop() and the counters are
// for any thread. Everything else belongs to the loop thread (debug builds assert it, as muduo's
// assertInLoopThread does, where the loop's work begins: starts, events, deadlines, records).
#ifndef MAILSWEEP_ENGINE_PROBER_PROBER_LOOP_H_
#define MAILSWEEP_ENGINE_PROBER_PROBER_LOOP_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "base/per_thread_counters.h"
#include "engine/prober/destination_caps.h"
#include "engine/prober/handoff_queue.h"
#include "engine/prober/prober_options.h"
#include "engine/prober/start_control.h"
#include "engine/prober/timer_wheel.h"
#include "probes/certificate_cache.h"
#include "probes/session.h"
#include "probes/tls_client.h"
#include "results/format/record_sink.h"

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
  std::atomic<uint64_t> waiting{0};      // retries scheduled and targets held by a destination cap
  std::atomic<uint64_t> retried{0};      // attempts ended transiently and scheduled again
  std::atomic<double> connect_rate{0};   // the current start rate (0: unlimited)
  std::atomic<uint32_t> window{0};       // connections allowed in flight now
  std::atomic<uint32_t> lag_ms{0};       // longest pass in the last full second
  std::atomic<uint32_t> lag_max_ms{0};   // longest pass since the start
  std::atomic<bool> sink_failed{false};  // a flush of the records failed (a full disk, ...)
  std::array<std::atomic<uint64_t>, 16> outcomes{};
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

  [[nodiscard]] bool Submit(const ProbeTarget& t);  // any thread; false: full, t not taken
  void RequestStop();                 // any thread
  void AbandonQueued() {              // any thread: start nothing more, drop what waits
    abandon_queued_.store(true, std::memory_order_release);
    Wake();
  }
  // Every target submitted so far has settled: its record is written, or it was counted as
  // abandoned or unprobed (any thread). Counts, not queue states, so that no moment in which a
  // target is between two states reads as idle: the settled side is read first.
  bool idle() const {
    const uint64_t settled = counters_.done.load(std::memory_order_acquire) +
                             counters_.abandoned.load(std::memory_order_acquire) +
                             counters_.unprobed.load(std::memory_order_acquire);
    return settled >= counters_.submitted.load(std::memory_order_acquire);
  }
  size_t queued() const { return queue_.ApproxSize(); }
  size_t queue_capacity() const { return queue_.capacity(); }
  uint32_t max_connections() const { return max_connections_; }
  const LoopCounters& counters() const { return counters_; }
  absl::Status sink_status() const { return sink_status_; }  // after Run() returned

 private:
  struct Conn;
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
  void StartOne(ProbeTarget t);  // consumes t: its name moves into the record
  void RetryLater(Conn& c, uint64_t now_ms);
  void DropQueued();  // frees and counts as abandoned what is queued or waiting to be retried
  void OnEvent(uint64_t data, uint32_t events);
  void OnConnected(Conn& c);
  void OnReadable(Conn& c);
  void OnWritable(Conn& c);
  void OnDeadline(uint32_t slot);
  void Apply(Conn& c, probes::Action a);
  void BeginTls(Conn& c);
  void AfterTlsInput(Conn& c);
  void SendPlain(Conn& c, std::string_view bytes);
  void SendRaw(Conn& c, const uint8_t* data, size_t n);
  void FlushTls(Conn& c);
  void ArmRead(Conn& c, uint32_t ms);
  void Reschedule(Conn& c);  // the timer at the nearest of the connection's deadlines
  void Finish(Conn& c);
  bool RetryTransient(Conn& c);  // a transient outcome with retries left: schedule, true
  void Discard(Conn& c);         // ends a connection without a record (abandoned)
  void Release(Conn& c);         // returns the slot of an ended connection to the free list
  void FinishWithOutcome(Conn& c, results::ProbeOutcome outcome);
  void AbortAll();
  bool SocketReady(const Conn& c) const;  // poll(0): what a deadline must look at first
  void NotePass(uint64_t busy_us, uint64_t now_ms);
  Conn* Lookup(uint64_t data);
  uint32_t AllocSlot();
  void SetEvents(Conn& c, uint32_t events);

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
  HandoffQueue<ProbeTarget> queue_;
  std::thread::id loop_thread_;  // the thread in Run(), once it runs
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> abandon_queued_{false};
  LoopCounters counters_;
  absl::Status sink_status_;

  // The slab: chunks of Conn, never moved (sessions point into their record).
  std::vector<std::unique_ptr<Conn[]>> chunks_;
  std::vector<uint32_t> free_slots_;
  uint32_t slots_ = 0;
  uint32_t in_flight_ = 0;
  TimerWheel wheel_;
  probes::CertificateCache cert_cache_;  // facts of certificates this loop has seen
  std::vector<uint8_t> scratch_;
  uint64_t records_since_flush_ = 0;
  uint64_t last_flush_ms_ = 0;

  // Targets whose socket()/bind()/connect() failed on our side (descriptors, local ports or
  // memory ran out). Such a failure says nothing about the target, so it gets no record: it is
  // tried again once one of our connections has ended, or after kRetryPauseMs when none is open.
  std::deque<ProbeTarget> retry_;
  // Transient outcomes waiting for their next attempt, in the order they are due (one delay for
  // all, so appending keeps the order).
  std::deque<std::pair<uint64_t, ProbeTarget>> retry_due_;
  bool hold_ = false;  // no new connection until one ends or retry_at_ms_
  uint64_t retry_at_ms_ = 0;
  uint32_t failures_while_idle_ = 0;  // local failures in a row with nothing in flight
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_PROBER_LOOP_H_
