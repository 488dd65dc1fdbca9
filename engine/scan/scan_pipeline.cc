#include "engine/scan/scan_pipeline.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "engine/run/run_header.h"
#include "engine/scan/checkpoint_file.h"
#include "engine/scan/dedup_sweep_sink.h"
#include "engine/scan/live_host_feeder.h"
#include "engine/scan/prior_results.h"
#include "results/format/record_writer.h"

namespace mailsweep::engine {
namespace {

constexpr int64_t kSecondNs = 1'000'000'000;

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// One RunScan: its steps in order (Run()), and what they share. Main thread only, but for the
// runner thread, which runs the sweeper and sets run_status_ and sweep_finished_.
class ScanRun {
 public:
  ScanRun(const ScanConfig& cfg, SignalFd* signals, ScanObserver* observer)
      : cfg_(cfg),
        walk_(*cfg.walk),
        range_(walk_.shard_range),
        signals_(signals),
        observer_(observer),
        checkpoint_(Checkpoint::For(walk_.space, walk_.seed, walk_.shards, walk_.shard,
                                    range_.begin, range_.end, cfg.output, RandomScanId())),
        start_(range_.begin),
        file_(cfg.output),
        resuming_(!cfg.resume_path.empty()) {}

  ~ScanRun() {
    if (runner_.joinable()) runner_.join();
  }

  absl::StatusOr<ScanSummary> Run() {
    MAILSWEEP_RETURN_IF_ERROR(Resume());
    MAILSWEEP_RETURN_IF_ERROR(OpenRecordFile());
    MAILSWEEP_RETURN_IF_ERROR(StartStages());
    StartSweep();
    Watch();
    return Finish();
  }

 private:
  absl::Status Resume();
  absl::Status OpenRecordFile();
  absl::Status StartStages();
  void StopFeeding();
  void StartSweep();
  void Watch();
  void OnSignal();
  void OnReload();
  void SampleWatermark(int64_t now);
  void RenewCheckpoint(int64_t now);
  void ReportProgress(int64_t now);
  absl::StatusOr<ScanSummary> Finish();

  // After a second signal, or once the stop timeout after the first has passed.
  bool Abandoning(int64_t now) const {
    return stops_ >= 2 || (stop_deadline_ != 0 && now > stop_deadline_);
  }
  SweepStats SweepNow() const { return sweeper_ ? sweeper_->Stats() : SweepStats{.done = true}; }

  const ScanConfig& cfg_;
  const ResolvedWalk& walk_;
  const targets::PositionRange range_;
  SignalFd* const signals_;
  ScanObserver* const observer_;
  Checkpoint checkpoint_;
  std::optional<CheckpointFile> checkpoint_file_;  // opened with the record file
  uint64_t start_;                                 // the first position this run sends
  std::string file_;                               // the record file this run writes
  const bool resuming_;
  PriorResults prior_;
  // Opt-outs since the start; made in Resume(), while files may still be opened.
  targets::ExclusionOverlay overlay_;
  std::optional<targets::BlocklistReloader> reloader_;

  // The stages, in the order they are made (and the reverse of their end).
  std::unique_ptr<results::RecordFileWriter> writer_;
  std::unique_ptr<results::RecordSink> sweep_sink_;
  std::unique_ptr<DedupSweepSink> dedup_;
  std::unique_ptr<ProberPool> pool_;
  std::unique_ptr<LiveHostFeeder> feeder_;
  std::unique_ptr<Sweeper> sweeper_;
  absl::Status run_status_;  // the sweeper's, set by the runner thread
  std::atomic<bool> sweep_finished_{false};
  std::thread runner_;

  // The watch loop's state.
  int64_t start_ns_ = 0;
  std::deque<std::pair<int64_t, uint64_t>> samples_;  // (time, sent watermark)
  uint64_t safe_position_ = 0;
  int64_t next_status_ = 0;
  int64_t next_checkpoint_ = 0;
  int stops_ = 0;
  int64_t stop_deadline_ = 0;
  bool input_finished_ = false;
  ScanProgress prev_;
  absl::Status checkpoint_status_;
};

// A resumed run takes the old checkpoint's scan id and position and reads what the earlier runs
// wrote.
absl::Status ScanRun::Resume() {
  if (resuming_) {
    // A checkpoint that cannot be read is a refused resume (exit 2), as one that does not match.
    absl::StatusOr<Checkpoint> loaded = Checkpoint::Load(cfg_.resume_path);
    if (!loaded.ok()) {
      return absl::FailedPreconditionError(StrCat("cannot resume: ", loaded.status().message()));
    }
    Checkpoint old = *std::move(loaded);
    checkpoint_.scan_id = old.scan_id;
    MAILSWEEP_RETURN_IF_ERROR(old.CheckCompatible(checkpoint_));
    MAILSWEEP_RETURN_IF_ERROR(old.CheckBlocklist(walk_.blocked_now));
    start_ = old.position;
    MAILSWEEP_ASSIGN_OR_RETURN(prior_, ReadPriorResults(old, &file_));
    for (const std::string& path : prior_.files) checkpoint_.files.push_back(FileNameOf(path));
    observer_->OnResume({.position = start_,
                         .range = range_,
                         .files = prior_.files.size(),
                         .swept = prior_.swept.size(),
                         .probed = prior_.claimed.size() - prior_.pending.size(),
                         .pending = prior_.pending.size(),
                         .torn_tail_bytes = prior_.torn_tail_bytes,
                         .corruptions = prior_.corruptions,
                         .dropped_bytes = prior_.dropped_bytes,
                         .corruption_notes = prior_.corruption_notes,
                         .file = file_});
  }
  checkpoint_.position = start_;
  // The space leaves out what the first run blocked; what the flags block beyond that (a resume
  // whose -b files grew) is an opt-out from the start.
  MAILSWEEP_ASSIGN_OR_RETURN(
      reloader_, targets::BlocklistReloader::Open(walk_.blocklist_files, walk_.allow_reserved,
                                                  walk_.space.blocked(), &overlay_));
  reloader_->Adopt(walk_.blocked_now);
  checkpoint_.excluded = reloader_->excluded();
  return absl::OkStatus();
}

absl::Status ScanRun::OpenRecordFile() {
  results::FileHeader header = MakeFileHeader(walk_.seed, walk_.shards, walk_.shard,
                                              walk_.space.ports(), 0, nullptr, checkpoint_.scan_id);
  header.command_line = cfg_.command_line;
  MAILSWEEP_ASSIGN_OR_RETURN(writer_, results::RecordFileWriter::Create(file_, header));
  // The checkpoint names the file once its header is durable: a resume refuses a named file
  // without one. Written at once, so a crash before the first periodic one still leaves a
  // resumable scan.
  struct stat st;
  if (stat(file_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {  // not /dev/null, a FIFO, ...
    MAILSWEEP_RETURN_IF_ERROR(writer_->Sync());
  }
  checkpoint_.files.push_back(FileNameOf(file_));
  // Both slots are opened now, while the process may still create files: every later save
  // writes into them. A resume that writes the checkpoint it read keeps what it holds.
  const bool fresh = !resuming_ || !SameFile(cfg_.resume_path, cfg_.checkpoint_path);
  MAILSWEEP_ASSIGN_OR_RETURN(checkpoint_file_, CheckpointFile::Open(cfg_.checkpoint_path, fresh));
  return checkpoint_file_->Save(checkpoint_);
}

// The sinks, the pool, the feeder and the sweeper; then, once every file and socket is open,
// the set-up hook (the command drops its privileges there) and only then the first threads: the
// pool's and the feeder's (which probes the pending hosts at once). The sweeper runs later.
absl::Status ScanRun::StartStages() {
  sweep_sink_ = writer_->NewSink();
  dedup_ = std::make_unique<DedupSweepSink>(sweep_sink_.get(), resuming_ ? &prior_.swept : nullptr);
  ProberOptions prober = cfg_.prober;
  prober.overlay = &overlay_;  // a host handed over before its opt-out is not started either
  MAILSWEEP_ASSIGN_OR_RETURN(pool_, ProberPool::CreateStopped(prober, writer_.get()));
  const uint64_t pause_backlog =
      cfg_.pause_backlog ? cfg_.pause_backlog
                         : std::max<uint64_t>(2 * uint64_t{cfg_.prober.max_connections}, 64);
  feeder_ = std::make_unique<LiveHostFeeder>(pool_.get(), resuming_ ? &prior_.claimed : nullptr,
                                             cfg_.feeder_ring, pause_backlog, &overlay_);
  for (const LiveTarget& t : prior_.pending) feeder_->AddPending(t);

  if (start_ < range_.end) {
    SweeperConfig sc = cfg_.sweeper;
    sc.space = &walk_.space;
    sc.permutation = &walk_.permutation;
    sc.range = range_;
    sc.seed = walk_.seed;
    sc.start_position = start_;
    sc.overlay = &overlay_;
    sc.sink_flush_interval_s = 1;
    auto created = Sweeper::Create(sc, dedup_.get(), feeder_.get(), feeder_.get());
    if (!created.ok()) {
      StopFeeding();
      return created.status();
    }
    sweeper_ = std::move(*created);
  }
  absl::Status s = observer_->OnStart();
  if (s.ok() && cfg_.set_up_done) s = cfg_.set_up_done();
  if (!s.ok()) {
    StopFeeding();
    return s;
  }
  pool_->Start();
  feeder_->Start();
  return absl::OkStatus();
}

// Ends the feeder and the pool when the run ends before the sweep started.
void ScanRun::StopFeeding() {
  feeder_->Abandon();
  feeder_->FinishInput();
  feeder_.reset();
  (void)pool_->Drain(absl::ZeroDuration());
}

void ScanRun::StartSweep() {
  sweep_finished_.store(sweeper_ == nullptr);
  if (sweeper_) {
    runner_ = std::thread([this] {
      run_status_ = sweeper_->Run();
      sweep_finished_.store(true);
    });
  }
  start_ns_ = MonotonicNs();
  safe_position_ = start_;
  next_status_ = start_ns_ + kSecondNs;
  next_checkpoint_ = start_ns_ + static_cast<int64_t>(cfg_.checkpoint_interval_s * 1e9);
  prev_.sweep = sweeper_ ? sweeper_->Stats() : SweepStats{};
  prev_.probe = pool_->Stats();
}

// Until the sweep has ended and every live host has its record, or a stop cuts it short.
void ScanRun::Watch() {
  for (;;) {
    if (std::optional<int> sig = signals_->Wait(100)) {
      if (*sig == SIGHUP) {
        OnReload();  // SIGINT and SIGTERM stop
      } else {
        OnSignal();
      }
    }
    const int64_t now = MonotonicNs();
    if (Abandoning(now)) feeder_->Abandon();
    if (sweep_finished_.load() && !input_finished_) {
      if (runner_.joinable()) runner_.join();
      feeder_->FinishInput();  // the receive thread has ended: the overflow is ours now
      input_finished_ = true;
    }
    if (input_finished_ && feeder_->done()) {
      if (pool_->Idle() || Abandoning(now)) break;
    }
    SampleWatermark(now);
    if (now >= next_checkpoint_) RenewCheckpoint(now);
    if (now >= next_status_) ReportProgress(now);
  }
}

void ScanRun::OnSignal() {
  ++stops_;
  observer_->OnStop(stops_);
  if (sweeper_) sweeper_->RequestStop();
  if (stops_ == 1) {
    stop_deadline_ = MonotonicNs() + static_cast<int64_t>(cfg_.stop_timeout_s * 1e9);
  } else if (sweeper_) {
    sweeper_->RequestStop();  // skip the cooldown too
  }
}

// SIGHUP: the -b files again. What they newly block is in force before the observer hears of it,
// and in the checkpoint at once.
void ScanRun::OnReload() {
  targets::ReloadOutcome outcome = reloader_->Reload();
  if (outcome.added > 0) {
    // Said once no sender can still send to what it added (the sender stage may be over).
    if (sweeper_ && !sweep_finished_.load() &&
        !sweeper_->AwaitOverlay(overlay_.generation(), kSecondNs)) {
      outcome.notes.push_back("a sender did not confirm the reload within a second");
    }
    checkpoint_.excluded = reloader_->excluded();
    checkpoint_status_.Update(checkpoint_file_->Save(checkpoint_));
  }
  observer_->OnReload(outcome, reloader_->excluded().Count());
}

// The newest watermark whose replies had the cooldown to arrive before the last flush.
void ScanRun::SampleWatermark(int64_t now) {
  if (!sweeper_ || sweep_finished_.load()) return;
  const int64_t cooldown_ns = static_cast<int64_t>(cfg_.sweeper.cooldown_s * 1e9);
  samples_.emplace_back(now, sweeper_->SentWatermark());
  while (!samples_.empty() &&
         samples_.front().first + cooldown_ns + 200'000'000 <= dedup_->flushed_ns()) {
    safe_position_ = std::max(safe_position_, samples_.front().second);
    samples_.pop_front();
  }
}

void ScanRun::RenewCheckpoint(int64_t now) {
  next_checkpoint_ = now + static_cast<int64_t>(cfg_.checkpoint_interval_s * 1e9);
  if (safe_position_ > checkpoint_.position) {
    checkpoint_.position = safe_position_;
    checkpoint_status_.Update(checkpoint_file_->Save(checkpoint_));
  }
}

void ScanRun::ReportProgress(int64_t now) {
  next_status_ += kSecondNs;
  ScanProgress progress{.elapsed_s = static_cast<double>(now - start_ns_) / 1e9,
                        .sweep = SweepNow(),
                        .probe = pool_->Stats(),
                        .backlog = feeder_->Backlog(),
                        .checkpoint = checkpoint_.position,
                        .opted_out = feeder_->opted_out()};
  progress.opted_out += progress.probe.opted_out;
  progress.cut_off = feeder_->abandoned() + progress.probe.abandoned + progress.probe.unprobed;
  observer_->OnProgress(progress, prev_);
  prev_ = progress;
}

absl::StatusOr<ScanSummary> ScanRun::Finish() {
  if (runner_.joinable()) runner_.join();
  feeder_->Join();
  absl::Status drain =
      pool_->Drain(Abandoning(MonotonicNs()) ? absl::ZeroDuration() : absl::Seconds(1));
  const SweepStats final_sweep = SweepNow();
  const ProberStats final_probe = pool_->Stats();

  ScanSummary summary;
  summary.targets_sent = final_sweep.sent;
  summary.open = final_sweep.open;
  summary.sweep = final_sweep;
  // The opt-outs of the whole run, also when a resume had no walk left (no sweep figures).
  summary.sweep.excluded_addresses = reloader_->excluded().Count();
  summary.probes_done = final_probe.done;
  // Targets given up after local errors have no record either: a resume probes them again.
  summary.probes_abandoned = feeder_->abandoned() + final_probe.abandoned + final_probe.unprobed;
  summary.skipped_known = dedup_->skipped() + feeder_->skipped();
  summary.reprobed = prior_.pending.size();
  summary.prior_corruptions = prior_.corruptions;
  summary.prior_dropped_bytes = prior_.dropped_bytes;
  summary.opted_out = feeder_->opted_out() + final_probe.opted_out;
  summary.paused_ms = final_sweep.paused_ms;
  summary.probes_retried = final_probe.retried;
  summary.loop_lag_max_ms = final_probe.lag_max_ms;
  summary.stopped = stops_ > 0;
  summary.output_file = file_;

  // Close the file before the checkpoint claims what is in it.
  sweep_sink_.reset();
  feeder_.reset();
  pool_.reset();
  absl::Status closed = writer_->Close();
  observer_->OnEnd({.elapsed_s = static_cast<double>(MonotonicNs() - start_ns_) / 1e9,
                    .sweep = final_sweep,
                    .probe = final_probe,
                    .backlog = 0,
                    .cut_off = summary.probes_abandoned,
                    .checkpoint = checkpoint_.position,
                    .opted_out = summary.opted_out});
  if (!closed.ok()) return closed;
  if (!run_status_.ok()) return run_status_;
  if (!drain.ok()) return drain;

  // After a normal end or a single stop the cooldown ran and the sink was flushed: everything
  // below the final watermark is finished. After an abandon, only the safe sample is.
  uint64_t position = start_ >= range_.end ? range_.end : final_sweep.watermark;
  if (stops_ >= 2) position = std::max(checkpoint_.position, safe_position_);
  checkpoint_.position = std::max(checkpoint_.position, std::min(position, range_.end));
  checkpoint_.complete = checkpoint_.position == range_.end && summary.probes_abandoned == 0;
  // In both slots: the checkpoint file itself shows how the run ended.
  MAILSWEEP_RETURN_IF_ERROR(checkpoint_file_->SaveBoth(checkpoint_));
  summary.complete = checkpoint_.complete;
  summary.checkpoint_position = checkpoint_.position;
  if (!checkpoint_status_.ok()) return checkpoint_status_;
  return summary;
}

}  // namespace

absl::StatusOr<ScanSummary> RunScan(const ScanConfig& config, SignalFd* signals,
                                    ScanObserver* observer) {
  return ScanRun(config, signals, observer).Run();
}

}  // namespace mailsweep::engine
