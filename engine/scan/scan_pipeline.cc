#include "engine/scan/scan_pipeline.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/prober/handoff_queue.h"
#include "engine/run/run_header.h"
#include "engine/sweep/status_line.h"
#include "results/format/record_reader.h"
#include "results/format/record_writer.h"

namespace mailsweep::engine {
namespace {

using results::ProbeOutcome;

uint64_t Key(uint32_t address, uint16_t port) { return (uint64_t{address} << 16) | port; }

struct LiveTarget {
  uint32_t address;
  uint16_t port;
};

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// What earlier runs of a resumed scan recorded, read from OUTPUT, OUTPUT.1, ...
struct PriorResults {
  absl::flat_hash_set<uint64_t> swept;    // every (address, port) with a sweep record
  absl::flat_hash_set<uint64_t> claimed;  // with a probe record, or to be probed first now
  std::vector<LiveTarget> pending;        // open, but no probe record: probe these first
  std::vector<std::string> files;
  uint64_t corruptions = 0;
  uint64_t torn_tail_bytes = 0;
};

class PriorVisitor : public results::RecordVisitor {
 public:
  void OnSweep(const results::SweepRecord& r) override {
    swept.insert(Key(r.address, r.port));
    if (r.status == results::SweepStatus::kOpen) open.push_back({r.address, r.port});
  }
  void OnProbe(const results::ProbeView& r) override { probed.insert(Key(r.address, r.port)); }

  absl::flat_hash_set<uint64_t> swept;
  absl::flat_hash_set<uint64_t> probed;
  std::vector<LiveTarget> open;
};

// Reads every file of the scan; `*next_file` becomes the first unused name.
absl::StatusOr<PriorResults> ReadPrior(const std::string& output, const std::string& scan_id,
                                       std::string* next_file) {
  PriorVisitor visitor;
  PriorResults prior;
  for (int i = 0;; ++i) {
    const std::string path = i == 0 ? output : StrCat(output, ".", i);
    if (!FileExists(path)) {
      *next_file = path;
      break;
    }
    auto reader = results::RecordFileReader::Open(path);
    if (!reader.ok()) {
      // A run killed before its header reached the disk leaves an empty file: nothing in it.
      if (absl::IsDataLoss(reader.status())) {
        prior.files.push_back(path);
        continue;
      }
      return reader.status();
    }
    if ((*reader)->header().scan_id != scan_id) {
      return absl::FailedPreconditionError(StrCat("cannot resume: ", path, " belongs to scan ",
                                                  (*reader)->header().scan_id,
                                                  ", the checkpoint to scan ", scan_id));
    }
    results::ReadStats stats = (*reader)->Scan(&visitor, {});
    prior.corruptions += stats.corruptions;
    prior.torn_tail_bytes += stats.torn_tail_bytes;
    prior.files.push_back(path);
  }
  for (const LiveTarget& t : visitor.open) {
    if (!visitor.probed.contains(Key(t.address, t.port))) prior.pending.push_back(t);
  }
  prior.claimed = std::move(visitor.probed);
  for (const LiveTarget& t : prior.pending) prior.claimed.insert(Key(t.address, t.port));
  prior.swept = std::move(visitor.swept);
  return prior;
}

// Wraps the sweep's record sink: drops records an earlier run already wrote, and remembers when
// the last flush began (every record added before it is durable once it returns).
class DedupSweepSink final : public results::RecordSink {
 public:
  DedupSweepSink(results::RecordSink* inner, const absl::flat_hash_set<uint64_t>* known)
      : inner_(inner), known_(known) {}

  void Add(const results::SweepRecord& r) override {
    if (known_ != nullptr && known_->contains(Key(r.address, r.port))) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    inner_->Add(r);
  }
  void Add(const results::ProbeRecord& r) override { inner_->Add(r); }
  absl::Status Flush() override {
    const int64_t start = MonotonicNs();
    absl::Status s = inner_->Flush();
    if (s.ok()) flushed_ns_.store(start, std::memory_order_release);
    return s;
  }

  int64_t flushed_ns() const { return flushed_ns_.load(std::memory_order_acquire); }
  uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }

 private:
  results::RecordSink* inner_;
  const absl::flat_hash_set<uint64_t>* known_;
  std::atomic<int64_t> flushed_ns_{0};
  std::atomic<uint64_t> skipped_{0};
};

// Carries live hosts from the sweeper's receive thread to the prober pool without ever dropping
// one, and holds the senders back while the probers have a backlog.
class LiveHostFeeder final : public LiveHostHandler, public SendThrottle {
 public:
  LiveHostFeeder(ProberPool* pool, const absl::flat_hash_set<uint64_t>* claimed, uint32_t ring,
                 uint64_t pause_backlog)
      : pool_(pool), claimed_(claimed), ring_(ring), pause_backlog_(pause_backlog) {}

  ~LiveHostFeeder() override { Join(); }

  // Before Start(), on the main thread.
  void AddPending(LiveTarget t) { Push(t); }

  void Start() {
    thread_ = std::thread([this] { Main(); });
  }

  // Receive thread.
  void OnLiveHost(const results::SweepRecord& r) override {
    if (claimed_ != nullptr && claimed_->contains(Key(r.address, r.port))) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    Push({r.address, r.port});
  }

  // Sender threads, once per batch. Hysteresis: pause above the backlog, go again below half.
  bool ShouldPause() override {
    const uint64_t backlog = Backlog();
    bool paused = paused_.load(std::memory_order_relaxed);
    if (paused && backlog < pause_backlog_ / 2) {
      paused_.store(false, std::memory_order_relaxed);
      return false;
    }
    if (!paused && backlog > pause_backlog_) {
      paused_.store(true, std::memory_order_relaxed);
      return true;
    }
    return paused;
  }

  // Main thread, once the producer (the receive thread) has ended: hands the overflow over and
  // lets the feeder finish when everything is submitted.
  void FinishInput() {
    while (overflow_head_ < overflow_.size() && !abandon_.load()) {
      if (ring_.TryPush(overflow_[overflow_head_])) {
        ++overflow_head_;
        overflow_size_.fetch_sub(1, std::memory_order_relaxed);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    input_done_.store(true);
  }

  // Any thread: stop retrying; what is not yet with the pool is left for a resume.
  void Abandon() { abandon_.store(true); }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_.load(); }
  uint64_t Backlog() const {
    return ring_.ApproxSize() + overflow_size_.load(std::memory_order_relaxed) +
           pool_->Stats().queued;
  }
  uint64_t submitted() const { return submitted_.load(std::memory_order_relaxed); }
  // Any thread: the overflow's count is the atomic one, not the producer's vector.
  uint64_t abandoned() const {
    return abandoned_.load(std::memory_order_relaxed) +
           (abandon_.load() ? overflow_size_.load(std::memory_order_relaxed) : 0);
  }
  uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }

 private:
  // One producer at a time (main thread before Start, then the receive thread, then the main
  // thread again in FinishInput).
  void Push(LiveTarget t) {
    while (overflow_head_ < overflow_.size() && ring_.TryPush(overflow_[overflow_head_])) {
      ++overflow_head_;
      overflow_size_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (overflow_head_ == overflow_.size()) {
      overflow_.clear();
      overflow_head_ = 0;
      if (ring_.TryPush(t)) return;
    }
    overflow_.push_back(t);
    overflow_size_.fetch_add(1, std::memory_order_relaxed);
  }

  void Main() noexcept {
    LiveTarget t;
    for (;;) {
      if (ring_.TryPop(&t)) {
        bool taken = false;
        while (!(taken = pool_->TrySubmit(t.address, t.port)) &&
               !abandon_.load(std::memory_order_relaxed)) {
          std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        // Counted by what happened to it: a target the pool took is the pool's to count.
        (taken ? submitted_ : abandoned_).fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (input_done_.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    done_.store(true);
  }

  ProberPool* pool_;
  const absl::flat_hash_set<uint64_t>* claimed_;
  HandoffQueue<LiveTarget> ring_;
  const uint64_t pause_backlog_;
  std::vector<LiveTarget> overflow_;  // producer side only
  size_t overflow_head_ = 0;
  std::atomic<uint64_t> overflow_size_{0};
  std::atomic<bool> paused_{false};
  std::atomic<bool> input_done_{false};
  std::atomic<bool> abandon_{false};
  std::atomic<bool> done_{false};
  std::atomic<uint64_t> submitted_{0};
  std::atomic<uint64_t> abandoned_{0};
  std::atomic<uint64_t> skipped_{0};
  std::thread thread_;
};

std::string Clock(double seconds) {
  const int s = static_cast<int>(seconds);
  return s >= 3600 ? absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                   : absl::StrFormat("%d:%02d", s / 60, s % 60);
}

uint64_t Outcome(const ProberStats& p, ProbeOutcome o) {
  return p.outcomes[static_cast<size_t>(o)];
}

// One line for both stages, like ZMap's: progress, sweep, probes, outcomes, ETA.
std::string FormatScanStatus(double elapsed, const SweepStats& s, const SweepStats& prev,
                             const ProberStats& p, const ProberStats& pprev, uint64_t backlog) {
  const double dt = std::max(1e-3, s.elapsed_s - prev.elapsed_s);
  const double send_now = static_cast<double>(s.sent - prev.sent) / dt;
  const double send_avg = s.send_elapsed_s > 0 ? static_cast<double>(s.sent) / s.send_elapsed_s : 0;
  const double probe_now = static_cast<double>(p.done - pprev.done) / dt;
  const double done_frac =
      s.positions_total ? static_cast<double>(s.positions_done) / s.positions_total : 1.0;
  std::string eta = "?";
  if (s.sending && done_frac > 0.001) {
    eta = Clock(s.send_elapsed_s * (1 - done_frac) / done_frac);
  } else if (!s.sending && probe_now > 0) {
    eta = Clock(static_cast<double>(backlog + p.in_flight) / probe_now);
  }
  const uint64_t tls =
      Outcome(p, ProbeOutcome::kStartTlsOk) + Outcome(p, ProbeOutcome::kImplicitTlsOk);
  const uint64_t plain = Outcome(p, ProbeOutcome::kPlaintextOnly);
  const uint64_t tls_fail = Outcome(p, ProbeOutcome::kStartTlsRefused) +
                            Outcome(p, ProbeOutcome::kStartTlsHandshakeFailed) +
                            Outcome(p, ProbeOutcome::kImplicitTlsFailed);
  const uint64_t other = p.done - tls - plain - tls_fail;
  return absl::StrFormat(
      "%s %.0f%%; send: %d %s (%s avg); open %d; probes: %d done %s, %d/%d in flight, %d waiting, "
      "%d retried, start rate %s, window %d, lag %d ms; tls %d, plaintext %d, tls failed %d, other %d; %s%s\n",
      Clock(elapsed), 100 * done_frac, s.sent, absl::StrFormat("%.1fk p/s", send_now / 1000),
      absl::StrFormat("%.1fk", send_avg / 1000), s.open, p.done,
      absl::StrFormat("%.0f/s", probe_now), p.in_flight, p.capacity, backlog, p.retried,
      p.connect_rate > 0 ? absl::StrFormat("%.0f/s", p.connect_rate) : std::string("unlimited"),
      p.window, p.lag_ms, tls, plain, tls_fail, other,
      s.sending ? StrCat("ETA ", eta)
                : (s.cooling_down ? "cooling down" : StrCat("probing, ETA ", eta)),
      s.paused_ms > prev.paused_ms ? " (held back by the probers)" : "");
}

std::string FormatScanJson(double elapsed, const SweepStats& s, const ProberStats& p,
                           uint64_t backlog, uint64_t cut_off, uint64_t checkpoint) {
  std::string outcomes;
  for (size_t i = 1; i < p.outcomes.size(); ++i) {
    if (p.outcomes[i] == 0) continue;
    StrAppend(&outcomes, outcomes.empty() ? "" : ",", "\"",
              results::OutcomeName(static_cast<ProbeOutcome>(i)), "\":", p.outcomes[i]);
  }
  return absl::StrFormat(
      "{\"elapsed\":%.3f,\"positions_done\":%d,\"positions_total\":%d,\"sent\":%d,\"replies\":%d,"
      "\"open\":%d,\"closed\":%d,\"unreachable\":%d,\"pcap_dropped\":%d,\"paused_ms\":%d,"
      "\"probes_done\":%d,\"probes_in_flight\":%d,\"probes_waiting\":%d,\"probes_retried\":%d,"
      "\"probes_cut_off\":%d,\"connect_rate\":%.0f,\"window\":%d,\"loop_lag_ms\":%d,\"loop_lag_max_ms\":%d,"
      "\"checkpoint\":%d,\"outcomes\":{%s}}\n",
      elapsed, s.positions_done, s.positions_total, s.sent, s.replies, s.open, s.closed,
      s.unreachable, s.pcap_dropped, s.paused_ms, p.done, p.in_flight, backlog, p.retried, cut_off,
      p.connect_rate, p.window, p.lag_ms, p.lag_max_ms, checkpoint, outcomes);
}

}  // namespace

absl::StatusOr<ScanSummary> RunScan(const ScanConfig& cfg, SignalFd* signals) {
  const ResolvedWalk& walk = *cfg.walk;
  const targets::PositionRange range = walk.shard_range;
  Checkpoint checkpoint = Checkpoint::For(walk.space, walk.seed, cfg.shards, cfg.shard, range.begin,
                                          range.end, cfg.output, RandomScanId());
  uint64_t start = range.begin;
  PriorResults prior;
  std::string file = cfg.output;
  const bool resuming = !cfg.resume_path.empty();
  if (resuming) {
    MAILSWEEP_ASSIGN_OR_RETURN(Checkpoint old, Checkpoint::Load(cfg.resume_path));
    checkpoint.scan_id = old.scan_id;
    MAILSWEEP_RETURN_IF_ERROR(old.CheckCompatible(checkpoint));
    start = old.position;
    MAILSWEEP_ASSIGN_OR_RETURN(prior, ReadPrior(cfg.output, old.scan_id, &file));
    if (!cfg.quiet) {
      absl::FPrintF(stderr,
                    "mailsweep scan: resuming at position %d of [%d, %d); %d earlier file(s) hold "
                    "%d swept and %d probed targets; %d open hosts to probe first%s; writing %s\n",
                    start, range.begin, range.end, prior.files.size(), prior.swept.size(),
                    prior.claimed.size() - prior.pending.size(), prior.pending.size(),
                    prior.torn_tail_bytes
                        ? StrCat(" (", prior.torn_tail_bytes, " bytes of a torn tail skipped)")
                        : std::string(),
                    file);
    }
  }
  checkpoint.position = start;

  results::FileHeader header = MakeFileHeader(walk.seed, cfg.shards, cfg.shard, walk.space.ports(),
                                              0, nullptr, checkpoint.scan_id);
  header.command_line = cfg.command_line;
  MAILSWEEP_ASSIGN_OR_RETURN(auto writer, results::RecordFileWriter::Create(file, header));
  // Written at once, so a crash before the first periodic one still leaves a resumable scan.
  MAILSWEEP_RETURN_IF_ERROR(checkpoint.Save(cfg.checkpoint_path));

  std::unique_ptr<results::RecordSink> sweep_sink = writer->NewSink();
  DedupSweepSink dedup(sweep_sink.get(), resuming ? &prior.swept : nullptr);
  MAILSWEEP_ASSIGN_OR_RETURN(std::unique_ptr<ProberPool> pool,
                             ProberPool::Create(cfg.prober, writer.get()));
  const uint64_t pause_backlog =
      cfg.pause_backlog ? cfg.pause_backlog
                        : std::max<uint64_t>(2 * uint64_t{cfg.prober.max_connections}, 64);
  auto feeder = std::make_unique<LiveHostFeeder>(pool.get(), resuming ? &prior.claimed : nullptr,
                                                 cfg.feeder_ring, pause_backlog);
  for (const LiveTarget& t : prior.pending) feeder->AddPending(t);
  feeder->Start();

  std::unique_ptr<Sweeper> sweeper;
  if (start < range.end) {
    SweeperConfig sc = cfg.sweeper;
    sc.start_position = start;
    sc.sink_flush_interval_s = 1;
    auto created = Sweeper::Create(sc, &dedup, feeder.get(), feeder.get());
    if (!created.ok()) {
      feeder->Abandon();
      feeder->FinishInput();
      feeder.reset();
      (void)pool->Drain(absl::ZeroDuration());
      return created.status();
    }
    sweeper = std::move(*created);
  }

  FILE* json = nullptr;
  if (!cfg.status_json.empty()) {
    json = fopen(cfg.status_json.c_str(), "w");
    if (json == nullptr) return absl::UnavailableError(StrCat("cannot write ", cfg.status_json));
  }

  absl::Status run_status;
  std::atomic<bool> sweep_finished{sweeper == nullptr};
  std::thread runner;
  if (sweeper) {
    runner = std::thread([&] {
      run_status = sweeper->Run();
      sweep_finished.store(true);
    });
  }

  const int64_t start_ns = MonotonicNs();
  const int64_t cooldown_ns = static_cast<int64_t>(cfg.sweeper.cooldown_s * 1e9);
  std::deque<std::pair<int64_t, uint64_t>> samples;  // (time, sent watermark)
  uint64_t safe_position = start;
  int64_t next_status = start_ns + 1'000'000'000;
  int64_t next_checkpoint = start_ns + static_cast<int64_t>(cfg.checkpoint_interval_s * 1e9);
  int stops = 0;
  int64_t stop_deadline = 0;
  SweepStats sprev = sweeper ? sweeper->Stats() : SweepStats{};
  ProberStats pprev = pool->Stats();
  bool input_finished = false;
  absl::Status checkpoint_status;

  auto sweep_stats = [&] { return sweeper ? sweeper->Stats() : SweepStats{.done = true}; };
  for (;;) {
    if (std::optional<int> sig = signals->Wait(100)) {
      ++stops;
      if (!cfg.quiet) {
        fputs(stops == 1 ? "mailsweep scan: stopping: no new SYNs, finishing probes in flight "
                           "(again to abandon them)\n"
                         : "mailsweep scan: abandoning; the checkpoint resumes the rest\n",
              stderr);
      }
      if (sweeper) sweeper->RequestStop();
      if (stops == 1) {
        stop_deadline = MonotonicNs() + static_cast<int64_t>(cfg.stop_timeout_s * 1e9);
      } else if (sweeper) {
        sweeper->RequestStop();  // skip the cooldown too
      }
    }
    const int64_t now = MonotonicNs();
    if (stops >= 2 || (stop_deadline != 0 && now > stop_deadline)) feeder->Abandon();
    if (sweep_finished.load() && !input_finished) {
      if (runner.joinable()) runner.join();
      feeder->FinishInput();  // the receive thread has ended: the overflow is ours now
      input_finished = true;
    }
    if (input_finished && feeder->done()) {
      if (pool->Idle() || stops >= 2 || (stop_deadline != 0 && now > stop_deadline)) {
        break;
      }
    }
    if (sweeper && !sweep_finished.load()) {
      samples.emplace_back(now, sweeper->SentWatermark());
      // The newest watermark whose replies had the cooldown to arrive before the last flush.
      while (!samples.empty() &&
             samples.front().first + cooldown_ns + 200'000'000 <= dedup.flushed_ns()) {
        safe_position = std::max(safe_position, samples.front().second);
        samples.pop_front();
      }
    }
    if (now >= next_checkpoint) {
      next_checkpoint = now + static_cast<int64_t>(cfg.checkpoint_interval_s * 1e9);
      if (safe_position > checkpoint.position) {
        checkpoint.position = safe_position;
        checkpoint_status.Update(checkpoint.Save(cfg.checkpoint_path));
      }
    }
    if (now >= next_status) {
      next_status += 1'000'000'000;
      const SweepStats s = sweep_stats();
      const ProberStats p = pool->Stats();
      const double elapsed = static_cast<double>(now - start_ns) / 1e9;
      if (!cfg.quiet) {
        fputs(FormatScanStatus(elapsed, s, sprev, p, pprev, feeder->Backlog()).c_str(), stderr);
      }
      if (json) {
        fputs(FormatScanJson(elapsed, s, p, feeder->Backlog(),
                             feeder->abandoned() + p.abandoned + p.unprobed, checkpoint.position)
                  .c_str(),
              json);
        fflush(json);
      }
      sprev = s;
      pprev = p;
    }
  }
  if (runner.joinable()) runner.join();
  feeder->Join();
  const bool abandoning = stops >= 2 || (stop_deadline != 0 && MonotonicNs() > stop_deadline);
  absl::Status drain = pool->Drain(abandoning ? absl::ZeroDuration() : absl::Seconds(1));
  const SweepStats final_sweep = sweep_stats();
  const ProberStats final_probe = pool->Stats();

  ScanSummary summary;
  summary.targets_sent = final_sweep.sent;
  summary.open = final_sweep.open;
  summary.dropped_warning = DroppedRepliesWarning(final_sweep);
  summary.probes_done = final_probe.done;
  // Targets given up after local errors have no record either: a resume probes them again.
  summary.probes_abandoned = feeder->abandoned() + final_probe.abandoned + final_probe.unprobed;
  summary.skipped_known = dedup.skipped() + feeder->skipped();
  summary.reprobed = prior.pending.size();
  summary.paused_ms = final_sweep.paused_ms;
  summary.probes_retried = final_probe.retried;
  summary.loop_lag_max_ms = final_probe.lag_max_ms;
  summary.stopped = stops > 0;
  summary.output_file = file;

  // Close the file before the checkpoint claims what is in it.
  sweep_sink.reset();
  feeder.reset();
  pool.reset();
  absl::Status closed = writer->Close();
  if (json) {
    fputs(FormatScanJson(static_cast<double>(MonotonicNs() - start_ns) / 1e9, final_sweep,
                         final_probe, 0, summary.probes_abandoned, checkpoint.position)
              .c_str(),
          json);
    fclose(json);
  }
  if (!closed.ok()) return closed;
  if (!run_status.ok()) return run_status;
  if (!drain.ok()) return drain;

  // After a normal end or a single stop the cooldown ran and the sink was flushed: everything
  // below the final watermark is finished. After an abandon, only the safe sample is.
  uint64_t position = start >= range.end ? range.end : final_sweep.watermark;
  if (stops >= 2) position = std::max(checkpoint.position, safe_position);
  checkpoint.position = std::max(checkpoint.position, std::min(position, range.end));
  checkpoint.complete = checkpoint.position == range.end && summary.probes_abandoned == 0;
  MAILSWEEP_RETURN_IF_ERROR(checkpoint.Save(cfg.checkpoint_path));
  summary.complete = checkpoint.complete;
  summary.checkpoint_position = checkpoint.position;
  if (!checkpoint_status.ok()) return checkpoint_status;
  return summary;
}

}  // namespace mailsweep::engine
