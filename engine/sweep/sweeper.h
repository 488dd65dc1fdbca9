// The SYN sweeper: walks a shard of the target permutation with T sender threads, sends one SYN
// per (address, port) and copy (--probes), and classifies the replies on a receive thread. It is
// the first stage of the pipeline and usable in-process: records go to a results::RecordSink,
// every new open (address, port) goes to a LiveHostHandler (the prober pool), and a SendThrottle
// lets a slower consumer hold the senders back.
//
//   sender threads (T)                               receive thread (1)
//   claim chunk c (atomic) -> walk positions      pcap -> ParseReply (SYN cookie) -> dedup
//   -> template + cookie -> batch -> pacer          -> RecordSink::Add, LiveHostHandler
//   -> sendmmsg / TX ring
//
// Chunks of `chunk_positions` positions of the shard's range are claimed in order; copy k of a
// chunk is sent again (the cursor is deterministic, no per-target memory) once `probe_spacing`
// has passed and the thread has walked other chunks in between, so one burst of loss cannot take
// every copy. SentWatermark() is a position below which every target has been sent with all its
// copies: save it to resume with `start_position`.
//
// Safety: every address is checked against the TargetSpace's allowed set before it is written
// into a frame (the walk only yields allowed indices; the check makes that a guarantee).
// Opt-outs: with an ExclusionOverlay (targets/exclusion_overlay.h) the senders read its set once
// per batch and skip (count, never send) the targets in it; the receive thread drops (counts)
// replies from them, so they get no record and are not handed on.
//
// Example:
//   auto sweeper = Sweeper::Create(config, &sink, &pool, /*throttle=*/nullptr);  // opens sockets
//   std::thread t([&] { status = (*sweeper)->Run(); });
//   ... (*sweeper)->Stats() once a second ...; on SIGINT: (*sweeper)->RequestStop();
//
// Thread rules: Create() and Run() from one (owner) thread; Run() blocks until sending, cooldown
// and the receive thread are over. RequestStop(), Stats() and SentWatermark() may be called from
// any thread while Run() runs. The sink, handler and throttle are borrowed and must outlive Run();
// the sink and handler are called on the receive thread only, the throttle on sender threads.
#ifndef MAILSWEEP_ENGINE_SWEEP_SWEEPER_H_
#define MAILSWEEP_ENGINE_SWEEP_SWEEPER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"  // MonotonicNs(): the clock of the sweeper's times and its callers' pacing
#include "base/per_thread_counters.h"
#include "engine/sweep/send_path.h"
#include "engine/sweep/syn_packet.h"
#include "results/format/record_sink.h"
#include "results/format/records.h"
#include "targets/exclusion_overlay.h"
#include "targets/permutation.h"
#include "targets/target_space.h"

namespace mailsweep::engine {

// Receives every new open (address, port), once, on the receive thread. Must return quickly
// (queue the work); it runs between packets.
class LiveHostHandler {
 public:
  virtual ~LiveHostHandler() = default;
  virtual void OnLiveHost(const results::SweepRecord& record) = 0;
};

// Back-pressure: sender threads ask once per batch; while it says pause they sleep (about a
// millisecond at a time) and afterwards resume at the configured rate without a burst. Called
// concurrently from every sender thread.
class SendThrottle {
 public:
  virtual ~SendThrottle() = default;
  virtual bool ShouldPause() = 0;
};

struct SweeperConfig {
  const targets::TargetSpace* space = nullptr;        // borrowed; outlives the Sweeper
  const targets::Permutation* permutation = nullptr;  // borrowed; over space->size()
  targets::PositionRange range;                       // this shard's positions
  uint64_t start_position = 0;  // resume: first position to send (in range; 0 = range.begin)
  uint64_t seed = 0;            // keys the SYN cookies
  // Addresses blocked since the start (SIGHUP); borrowed, outlives the Sweeper. May be null.
  const targets::ExclusionOverlay* overlay = nullptr;

  double rate = 0;  // packets per second over all threads; 0 = unlimited
  uint32_t threads = 1;
  uint32_t batch = 256;
  uint32_t probes = 1;
  double probe_spacing_s = 0.5;  // least time between two copies of a target
  double cooldown_s = 8;
  uint64_t chunk_positions = uint64_t{1} << 16;

  std::string interface;
  MacAddress source_mac{};
  MacAddress gateway_mac{};
  std::vector<uint32_t> sources;  // host order; target i uses sources[i % size]
  uint16_t first_source_port = 61000;
  uint32_t source_port_count = 4536;
  uint8_t ttl = 64;

  SendMethod send_method = SendMethod::kTxRing;
  bool qdisc_bypass = false;
  // Also bypass when the interface's root qdisc is noqueue (veth, tunnels): there is no queue to
  // skip there, only code, so the behaviour is the same and sending is faster.
  bool qdisc_bypass_if_noqueue = true;
  std::string dryrun_pcap;  // set: write frames to this pcap file, send and receive nothing
  int pcap_buffer_bytes = 64 << 20;
  // The receive thread flushes the sink this often (0: only at the end), so a checkpoint can
  // count on the records of replies older than the last flush (see LastSinkFlush in the sink).
  // A failed flush (the records cannot be written) stops the sweep at once with that error.
  double sink_flush_interval_s = 0;
};

// A snapshot for status lines and summaries. Counters are totals since Run() started.
struct SweepStats {
  double elapsed_s = 0;
  double send_elapsed_s = 0;  // time from the first to the last send (so far)
  bool sending = false;       // senders still running
  bool cooling_down = false;
  bool done = false;
  uint32_t probes = 1;
  uint64_t positions_total = 0;  // positions to walk x probes
  uint64_t positions_done = 0;
  uint64_t sent = 0;
  uint64_t send_retries = 0;
  uint64_t send_errors = 0;
  uint64_t refused = 0;  // addresses outside the allowed set (never sent; must stay 0)
  uint64_t skipped = 0;  // targets not sent: opted out (the overlay) before their first copy
  uint64_t opted_out_replies = 0;   // valid replies from opted-out addresses, dropped
  uint64_t excluded_addresses = 0;  // addresses in the overlay now (added by reloads)
  uint64_t replies = 0;             // validated replies, duplicates included
  uint64_t open = 0;                // unique (address, port) per status
  uint64_t closed = 0;
  uint64_t unreachable = 0;
  uint64_t duplicates = 0;
  uint64_t invalid = 0;  // failed validation (not ours)
  uint64_t pcap_received = 0;
  uint64_t pcap_dropped = 0;
  uint64_t if_dropped = 0;
  uint64_t paused_ms = 0;  // time senders spent paused by the throttle (summed over threads)
  uint64_t watermark = 0;  // SentWatermark()
};

class Sweeper {
 public:
  // Validates the config and opens the sockets, rings and capture (needs CAP_NET_RAW); after this
  // nothing needs privilege. `sink` may be null (no records), as may `handler` and `throttle`.
  static absl::StatusOr<std::unique_ptr<Sweeper>> Create(const SweeperConfig& config,
                                                         results::RecordSink* sink,
                                                         LiveHostHandler* handler,
                                                         SendThrottle* throttle);
  // The checks of Create() that need nothing of the machine (space, positions, threads, batch,
  // probes, ports, rate): commands call it before they look up routes and interfaces, so that a
  // bad flag is reported as such (kInvalidArgument) wherever the command runs. Any thread.
  static absl::Status CheckSettings(const SweeperConfig& config);
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  // Sends everything, waits the cooldown, stops the receive thread and flushes the sink.
  // Errors: a failed sink flush or capture failure (the sweep itself still ran).
  absl::Status Run();

  // Async-signal-safe (one atomic store): the first call ends sending at the next batch (the
  // cooldown still runs), a second call also cuts the cooldown short.
  void RequestStop() { stop_requests_.fetch_add(1, std::memory_order_relaxed); }

  SweepStats Stats() const;
  // Every position below this has been sent, with all copies. range.begin..range.end.
  uint64_t SentWatermark() const;
  // After the overlay's Publish() made `generation`: waits until no sender can still send a
  // frame checked against an older set (each is idle, checking, or past it), at most
  // `timeout_ns`; false on a timeout. From then on no SYN goes to what it excludes. Any thread.
  bool AwaitOverlay(uint64_t generation, int64_t timeout_ns) const;
  const SweeperConfig& config() const { return config_; }

 private:
  // Published by one thread each (relaxed stores), summed by Stats() (base/per_thread_counters.h).
  struct alignas(kCacheLineBytes) SenderCounters {
    std::atomic<uint64_t> sent{0};
    std::atomic<uint64_t> retries{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> refused{0};
    std::atomic<uint64_t> skipped{0};
    std::atomic<uint64_t> positions{0};
    std::atomic<uint64_t> paused_ms{0};
    std::atomic<uint64_t> overlay_mark{kOverlayIdle};  // see SenderMain's flush and OverlaySeen
  };
  static constexpr uint64_t kOverlayIdle = ~uint64_t{0};  // not about to send
  static constexpr uint64_t kOverlayChecking = 0;         // about to look at the overlay
  struct alignas(kCacheLineBytes) ReceiverCounters {
    std::atomic<uint64_t> replies{0};
    std::atomic<uint64_t> open{0};
    std::atomic<uint64_t> closed{0};
    std::atomic<uint64_t> unreachable{0};
    std::atomic<uint64_t> duplicates{0};
    std::atomic<uint64_t> invalid{0};
    std::atomic<uint64_t> opted_out{0};
    std::atomic<uint64_t> pcap_received{0};
    std::atomic<uint64_t> pcap_dropped{0};
    std::atomic<uint64_t> if_dropped{0};
  };
  class SenderThread;
  class ReceiverThread;

  explicit Sweeper(const SweeperConfig& config);
  void SenderMain(uint32_t thread) noexcept;
  bool stopping() const { return stop_requests_.load(std::memory_order_relaxed) > 0; }
  bool OverlaySeen(uint64_t generation) const;

  SweeperConfig config_;
  results::RecordSink* sink_ = nullptr;
  LiveHostHandler* handler_ = nullptr;
  SendThrottle* throttle_ = nullptr;

  std::vector<std::unique_ptr<PacketWriter>> writers_;  // one per sender thread
  std::unique_ptr<ReceiverThread> receiver_;            // null for dry runs

  uint64_t first_position_ = 0;
  uint64_t chunk_count_ = 0;
  std::atomic<uint64_t> next_chunk_{0};
  std::unique_ptr<std::atomic<uint8_t>[]> chunk_done_;  // all copies sent
  mutable std::atomic<uint64_t> watermark_chunk_{0};    // chunks below are all done

  std::unique_ptr<SenderCounters[]> sender_counters_;
  ReceiverCounters rx_counters_;
  std::atomic<int> stop_requests_{0};
  std::atomic<int> senders_running_{0};
  std::atomic<bool> cooling_down_{false};
  std::atomic<bool> done_{false};
  std::atomic<int64_t> start_ns_{0};
  std::atomic<int64_t> first_send_ns_{0};
  std::atomic<int64_t> last_send_ns_{0};
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_SWEEPER_H_
