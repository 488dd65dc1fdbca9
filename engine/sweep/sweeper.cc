#include "engine/sweep/sweeper.h"

#include <net/if.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <thread>

#include "base/clock.h"
#include "base/sandbox.h"
#include "base/strings.h"
#include "base/token_bucket.h"
#include "engine/sweep/dedup_bitmap.h"
#include "engine/sweep/pcap_receiver.h"
#include "engine/sweep/route_lookup.h"
#include "engine/sweep/syn_cookie.h"

namespace mailsweep::engine {

namespace {

void SleepNs(int64_t ns) {
  if (ns <= 0) return;
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  nanosleep(&ts, nullptr);
}

SynCookie MakeCookie(const SweeperConfig& c) {
  return SynCookie(SipKey::FromSeed(c.seed, kSynCookieDomain), c.first_source_port,
                   c.source_port_count);
}

}  // namespace

// The receive thread's state: capture, validation, de-duplication, record output.
class Sweeper::ReceiverThread {
 public:
  ReceiverThread(const SweeperConfig& config, std::unique_ptr<PcapReceiver> pcap,
                 results::RecordSink* sink, LiveHostHandler* handler, ReceiverCounters* counters,
                 std::atomic<int>* stop_requests)
      : pcap_(std::move(pcap)),
        cookie_(MakeCookie(config)),
        dedup_(*config.space),
        overlay_(config.overlay),
        sink_(sink),
        handler_(handler),
        counters_(counters),
        flush_interval_ns_(static_cast<int64_t>(config.sink_flush_interval_s * 1e9)),
        stop_requests_(stop_requests) {}

  void Start() {
    thread_ = std::thread([this] { Main(); });
  }
  absl::Status StopAndJoin() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  void Main() noexcept {
    TryForbiddenCallForTest(SandboxThread::kReceiver);  // tests only
    int64_t last_stats = MonotonicNs();
    int64_t last_flush = last_stats;
    while (!stop_.load(std::memory_order_relaxed)) {
      absl::StatusOr<int> n = pcap_->Poll(50, &ReceiverThread::OnFrame, this);
      if (!n.ok()) {
        status_ = n.status();
        break;
      }
      const int64_t now = MonotonicNs();
      if (now - last_stats > 250'000'000) {
        PublishCaptureStats();
        last_stats = now;
      }
      if (sink_ != nullptr && flush_interval_ns_ > 0 && now - last_flush >= flush_interval_ns_) {
        if (absl::Status s = sink_->Flush(); !s.ok() && status_.ok()) {
          // The records cannot be kept (a full disk, say): sending on, or waiting for late
          // replies, would only lose more. Stop as a second SIGINT does; the error ends the run.
          status_ = s;
          stop_requests_->fetch_add(2, std::memory_order_relaxed);
        }
        last_flush = now;
      }
    }
    // Whatever arrived before the stop is still in the buffer: take it, once the kernel has
    // handed over the block it was filling.
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * PcapReceiver::kBlockTimeoutMs));
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<int> n = pcap_->Poll(0, &ReceiverThread::OnFrame, this);
      if (!n.ok() || *n == 0) break;
    }
    PublishCaptureStats();
  }

  void PublishCaptureStats() {
    const CaptureStats s = pcap_->Stats();
    counters_->pcap_received.store(s.received, std::memory_order_relaxed);
    counters_->pcap_dropped.store(s.dropped, std::memory_order_relaxed);
    counters_->if_dropped.store(s.if_dropped, std::memory_order_relaxed);
  }

  static void OnFrame(void* self, const uint8_t* frame, size_t len, int64_t time_us) {
    static_cast<ReceiverThread*>(self)->Handle(frame, len, time_us);
  }

  void Handle(const uint8_t* frame, size_t len, int64_t time_us) {
    Reply r;
    const ReplyVerdict v = ParseReply(frame, len, cookie_, &r);
    if (v == ReplyVerdict::kIgnored) return;
    if (v != ReplyVerdict::kValid) {
      counters_->invalid.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    counters_->replies.fetch_add(1, std::memory_order_relaxed);
    // An opt-out since the start: a reply already on its way gets no record and no probe.
    if (overlay_ != nullptr && targets::IsExcluded(overlay_->Current(), r.address)) {
      counters_->opted_out.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    switch (dedup_.Insert(r.address, r.port)) {
      case DedupBitmap::kDuplicate:
        counters_->duplicates.fetch_add(1, std::memory_order_relaxed);
        return;
      case DedupBitmap::kOutside:
        counters_->invalid.fetch_add(1, std::memory_order_relaxed);
        return;
      case DedupBitmap::kNew:
        break;
    }
    const results::SweepRecord record{.address = r.address,
                                      .port = r.port,
                                      .status = r.status,
                                      .ttl = r.ttl,
                                      .window = r.window,
                                      .time_us = time_us};
    switch (r.status) {
      case results::SweepStatus::kOpen:
        counters_->open.fetch_add(1, std::memory_order_relaxed);
        break;
      case results::SweepStatus::kClosed:
        counters_->closed.fetch_add(1, std::memory_order_relaxed);
        break;
      case results::SweepStatus::kUnreachable:
        counters_->unreachable.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    if (sink_) sink_->Add(record);
    if (handler_ && r.status == results::SweepStatus::kOpen) handler_->OnLiveHost(record);
  }

  std::unique_ptr<PcapReceiver> pcap_;
  SynCookie cookie_;
  DedupBitmap dedup_;
  const targets::ExclusionOverlay* overlay_;  // the config's; may be null
  results::RecordSink* sink_;
  LiveHostHandler* handler_;
  ReceiverCounters* counters_;
  const int64_t flush_interval_ns_;
  std::atomic<int>* const stop_requests_;  // the sweeper's
  std::thread thread_;
  std::atomic<bool> stop_{false};
  absl::Status status_;
};

Sweeper::Sweeper(const SweeperConfig& config) : config_(config) {}

Sweeper::~Sweeper() = default;

absl::Status Sweeper::CheckSettings(const SweeperConfig& c) {
  if (c.space == nullptr || c.permutation == nullptr) {
    return absl::InvalidArgumentError("sweeper: no target space");
  }
  if (c.permutation->size() != c.space->size()) {
    return absl::InvalidArgumentError("sweeper: permutation does not match the target space");
  }
  if (c.range.begin > c.range.end || c.range.end > c.permutation->cycle_length()) {
    return absl::InvalidArgumentError("sweeper: position range outside the permutation");
  }
  const uint64_t start = c.start_position == 0 ? c.range.begin : c.start_position;
  if (start < c.range.begin || start > c.range.end) {
    return absl::InvalidArgumentError(StrCat("start position ", start, " is outside the shard [",
                                             c.range.begin, ", ", c.range.end, ")"));
  }
  if (c.threads == 0 || c.threads > 64) {
    return absl::InvalidArgumentError("-T: sender threads must be 1 to 64");
  }
  if (c.batch == 0 || c.batch > 1024) return absl::InvalidArgumentError("batch must be 1 to 1024");
  if (c.probes == 0 || c.probes > 16) return absl::InvalidArgumentError("--probes must be 1 to 16");
  if (c.chunk_positions == 0) return absl::InvalidArgumentError("chunk size must be positive");
  if (c.source_port_count == 0 || c.first_source_port == 0 ||
      uint32_t{c.first_source_port} + c.source_port_count > 65536) {
    return absl::InvalidArgumentError("source port range must lie within 1-65535");
  }
  if (c.rate < 0 || !std::isfinite(c.rate)) return absl::InvalidArgumentError("bad rate");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Sweeper>> Sweeper::Create(const SweeperConfig& config,
                                                         results::RecordSink* sink,
                                                         LiveHostHandler* handler,
                                                         SendThrottle* throttle) {
  const SweeperConfig& c = config;
  if (absl::Status s = CheckSettings(c); !s.ok()) return s;
  if (c.sources.empty()) return absl::InvalidArgumentError("no source address");
  const uint64_t start = c.start_position == 0 ? c.range.begin : c.start_position;

  std::unique_ptr<Sweeper> s(new Sweeper(config));
  s->sink_ = sink;
  s->handler_ = handler;
  s->throttle_ = throttle;
  s->first_position_ = start;
  s->chunk_count_ = (c.range.end - start + c.chunk_positions - 1) / c.chunk_positions;
  s->chunk_done_ = std::make_unique<std::atomic<uint8_t>[]>(s->chunk_count_ + 1);
  for (uint64_t i = 0; i <= s->chunk_count_; ++i) s->chunk_done_[i].store(0);
  s->sender_counters_ = std::make_unique<SenderCounters[]>(c.threads);

  if (!c.dryrun_pcap.empty()) {
    auto file = CreatePcapFile(c.dryrun_pcap);
    if (!file.ok()) return file.status();
    for (uint32_t t = 0; t < c.threads; ++t) s->writers_.push_back(NewPcapFileWriter(*file));
    return s;
  }

  if (c.interface.empty()) return absl::InvalidArgumentError("no interface");
  if (!s->config_.qdisc_bypass && c.qdisc_bypass_if_noqueue) {
    const unsigned ifindex = if_nametoindex(c.interface.c_str());
    auto kind =
        ifindex ? InterfaceQdisc(static_cast<int>(ifindex)) : absl::StatusOr<std::string>("");
    s->config_.qdisc_bypass = kind.ok() && *kind == "noqueue";
  }
  // Capture first, so no reply to the first probes can slip past.
  PcapReceiverOptions rx{
      .interface = c.interface,
      .addresses = c.sources,
      .first_port = c.first_source_port,
      .last_port = static_cast<uint16_t>(c.first_source_port + c.source_port_count - 1),
      .buffer_bytes = c.pcap_buffer_bytes};
  auto pcap = PcapReceiver::Open(rx);
  if (!pcap.ok()) return pcap.status();
  s->receiver_ =
      std::make_unique<ReceiverThread>(c, *std::move(pcap), sink, handler, &s->rx_counters_,
                                       &s->stop_requests_);
  for (uint32_t t = 0; t < c.threads; ++t) {
    auto w = OpenPacketWriter({.method = c.send_method,
                               .interface = c.interface,
                               .qdisc_bypass = s->config_.qdisc_bypass,
                               .max_batch = c.batch});
    if (!w.ok()) return w.status();
    s->writers_.push_back(*std::move(w));
  }
  return s;
}

void Sweeper::SenderMain(uint32_t thread) noexcept {
  const SweeperConfig& c = config_;
  TryForbiddenCallForTest(SandboxThread::kSender);  // tests only
  PacketWriter* out = writers_[thread].get();
  SenderCounters& counters = sender_counters_[thread];
  const SynTemplate tpl(c.source_mac, c.gateway_mac, c.ttl);
  const SynCookie cookie = MakeCookie(c);
  const targets::IntervalSet& allowed = c.space->allowed();
  const uint32_t source_count = static_cast<uint32_t>(c.sources.size());

  // Pacing: each thread owns rate/T. A batch is at most ~1 ms of traffic, so low rates are not
  // sent in bursts; the bucket may hold 10 ms of credit to absorb sleep overshoot and preemption.
  const double thread_rate = c.rate / c.threads;
  uint32_t batch = c.batch;
  if (thread_rate > 0) {
    batch = static_cast<uint32_t>(std::clamp(thread_rate / 1000.0, 1.0, double(c.batch)));
  }
  const uint64_t burst =
      std::max<uint64_t>(2 * uint64_t{batch}, static_cast<uint64_t>(thread_rate * 0.010));
  TokenBucket bucket(thread_rate, burst, MonotonicNs());

  std::vector<uint8_t> frames(size_t{c.batch} * kSynFrameSize);
  size_t queued = 0;
  SendCounters sc;
  uint64_t paused_ns = 0;
  uint64_t skipped = 0;
  bool first_copy = true;  // of the chunk being walked
  // The overlay's set the queued frames were built under: a newer one is applied before sending.
  const targets::IntervalSet* excluded = c.overlay ? c.overlay->Current() : nullptr;

  // Sends the queued frames; false when a stop was requested (the batch is dropped).
  auto flush = [&]() -> bool {
    if (queued == 0) return true;
    if (throttle_ != nullptr && throttle_->ShouldPause()) {
      const int64_t pause_start = MonotonicNs();
      do {
        if (stopping()) return false;
        SleepNs(1'000'000);
      } while (throttle_->ShouldPause());
      const int64_t now = MonotonicNs();
      paused_ns += static_cast<uint64_t>(now - pause_start);
      counters.paused_ms.store(paused_ns / 1'000'000, std::memory_order_relaxed);
      bucket.Reset(now);
    }
    for (;;) {
      if (stopping()) return false;
      const int64_t wait = bucket.Take(queued, MonotonicNs());
      if (wait == 0) break;
      SleepNs(std::min<int64_t>(wait, 20'000'000));
    }
    if (c.overlay != nullptr) {
      // The last look before sending, under a mark OverlaySeen() reads: first "checking", then
      // the generation applied, "idle" once sent (seq_cst: a Publish() before the first store
      // is seen by the loads after it).
      counters.overlay_mark.store(kOverlayChecking);
      const uint64_t generation = c.overlay->generation();
      if (c.overlay->Current() != excluded) {
        excluded = c.overlay->Current();
        const size_t kept = DropFramesTo(excluded, frames.data(), queued);
        if (first_copy) counters.skipped.store(skipped += queued - kept, std::memory_order_relaxed);
        queued = kept;
      }
      counters.overlay_mark.store(generation + 1);
      if (queued == 0) {
        counters.overlay_mark.store(kOverlayIdle);
        return true;
      }
    }
    const int64_t now = MonotonicNs();
    int64_t expected = 0;
    first_send_ns_.compare_exchange_strong(expected, now, std::memory_order_relaxed);
    out->Send(frames.data(), kSynFrameSize, queued, &sc);
    queued = 0;
    counters.sent.store(sc.sent, std::memory_order_relaxed);
    if (c.overlay != nullptr) counters.overlay_mark.store(kOverlayIdle);  // after the count
    counters.retries.store(sc.retries, std::memory_order_relaxed);
    counters.errors.store(sc.errors, std::memory_order_relaxed);
    last_send_ns_.store(MonotonicNs(), std::memory_order_relaxed);
    return true;
  };

  uint64_t positions = 0;
  uint64_t refused = 0;
  // Sends one copy of every target of `chunk`; false when stopped.
  auto walk = [&](uint64_t chunk, bool first) -> bool {
    first_copy = first;
    const uint64_t begin = first_position_ + chunk * c.chunk_positions;
    const uint64_t end = std::min(begin + c.chunk_positions, c.range.end);
    targets::Permutation::Cursor cursor = c.permutation->At(begin, end);
    uint64_t published = begin;
    uint64_t index;
    while (cursor.Next(&index)) {
      const targets::Target target = c.space->At(index);
      if (!allowed.Contains(target.address)) {  // cannot happen; makes "never" a guarantee
        counters.refused.store(++refused, std::memory_order_relaxed);
        continue;
      }
      if (targets::IsExcluded(excluded, target.address)) {
        if (first_copy) counters.skipped.store(++skipped, std::memory_order_relaxed);
        continue;
      }
      const uint32_t source = source_count == 1 ? c.sources[0] : c.sources[index % source_count];
      const SynCookie::Probe probe = cookie.For(source, target.address, target.port);
      tpl.Write({.source = source,
                 .destination = target.address,
                 .source_port = probe.source_port,
                 .port = target.port,
                 .seq = probe.seq,
                 .ip_id = static_cast<uint16_t>(probe.seq >> 16)},
                frames.data() + queued * kSynFrameSize);
      if (++queued == batch) {
        if (!flush()) return false;
        positions += cursor.position() - published;
        published = cursor.position();
        counters.positions.store(positions, std::memory_order_relaxed);
      }
    }
    if (!flush()) return false;
    positions += end - published;
    counters.positions.store(positions, std::memory_order_relaxed);
    return true;
  };

  struct Pending {
    uint64_t chunk;
    uint32_t copies_sent;
    int64_t ready_ns;
  };
  std::deque<Pending> pending;  // FIFO; ready times increase along it
  const int64_t spacing_ns = static_cast<int64_t>(c.probe_spacing_s * 1e9);
  while (!stopping()) {
    const int64_t now = MonotonicNs();
    if (!pending.empty() && pending.front().ready_ns <= now) {
      Pending p = pending.front();
      pending.pop_front();
      if (!walk(p.chunk, /*first_copy=*/false)) break;
      if (++p.copies_sent == c.probes) {
        chunk_done_[p.chunk].store(1, std::memory_order_release);
      } else {
        p.ready_ns = MonotonicNs() + spacing_ns;
        pending.push_back(p);
      }
      continue;
    }
    const uint64_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
    if (chunk < chunk_count_) {
      if (!walk(chunk, /*first_copy=*/true)) break;
      if (c.probes == 1) {
        chunk_done_[chunk].store(1, std::memory_order_release);
      } else {
        pending.push_back({chunk, 1, MonotonicNs() + spacing_ns});
      }
      continue;
    }
    if (pending.empty()) break;
    SleepNs(std::min<int64_t>(pending.front().ready_ns - now, 20'000'000));
  }
}

absl::Status Sweeper::Run() {
  start_ns_.store(MonotonicNs());
  if (receiver_) receiver_->Start();
  senders_running_.store(static_cast<int>(config_.threads));
  std::vector<std::thread> senders;
  for (uint32_t t = 0; t < config_.threads; ++t) {
    senders.emplace_back([this, t] {
      SenderMain(t);
      senders_running_.fetch_sub(1);
    });
  }
  for (std::thread& t : senders) t.join();
  writers_.clear();  // closes the sockets, flushes a dry run's file

  absl::Status status;
  if (receiver_) {
    cooling_down_.store(true);
    const int64_t end = MonotonicNs() + static_cast<int64_t>(config_.cooldown_s * 1e9);
    for (int64_t now = MonotonicNs(); now < end && stop_requests_.load() < 2; now = MonotonicNs()) {
      SleepNs(std::min<int64_t>(end - now, 50'000'000));
    }
    cooling_down_.store(false);
    status = receiver_->StopAndJoin();
  }
  if (sink_ != nullptr) {
    absl::Status flushed = sink_->Flush();
    if (status.ok()) status = flushed;
  }
  done_.store(true);
  return status;
}

}  // namespace mailsweep::engine
