// The whole survey in one process: the SYN sweeper hands every live (address, port) to the prober
// pool, and both write into one record file. This is `mailsweep scan`'s engine.
//
//   Sweeper senders --SYN--> net --SYN-ACK--> Sweeper receive thread
//        ^ ShouldPause()                        | sweep record -> DedupSweepSink -> RecordFile
//        |                                      | OnLiveHost()
//   LiveHostFeeder <----- bounded ring <--------+   (overflow vector: never drops a host)
//        | feeder thread: TrySubmit() with retry
//        v
//   ProberPool (epoll loops) ---- probe records ----------------------------------> RecordFile
//
// Back-pressure instead of loss: when the pool's saturation or the ring's depth crosses a high
// watermark the senders pause (no busy wait), and resume when it falls below a low one.
//
// Stop and resume: a checkpoint names a position below which every target is finished: sent, its
// replies awaited (cooldown) and its sweep record durable. Probe records need no such promise:
// on --resume the previous files are read, open hosts without a probe record are probed first,
// and every (address, port) that already has a record is skipped when found again, so each
// target ends with exactly one result. Each resumed run writes the next file OUTPUT.1, OUTPUT.2...
// The checkpoint names every file written so far; a resume refuses (kFailedPrecondition) when one
// is missing, damaged or another scan's, rather than count its records as never found.
//
// Opt-outs: SIGHUP re-reads the -b files (targets/blocklist_reloader.h); what they newly block
// goes into an ExclusionOverlay the senders, the receive thread and the feeder consult, and into
// the checkpoint, whose resume must keep blocking it (the blocklist may only grow).
//
// The parts: engine/scan/prior_results.h (what earlier runs wrote), dedup_sweep_sink.h,
// live_host_feeder.h, checkpoint.h, checkpoint_file.h; the command sees the run through a
// ScanObserver (scan_observer.h), which prints the status.
//
// Thread rules: RunScan() on the main thread, which must have created the SignalFd before (so
// every thread inherits the blocked signal mask). RunScan starts no thread before
// ScanConfig::set_up_done has returned, so that privileges dropped there are dropped for all.
#ifndef MAILSWEEP_ENGINE_SCAN_SCAN_PIPELINE_H_
#define MAILSWEEP_ENGINE_SCAN_SCAN_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/prober/prober_pool.h"
#include "engine/run/signal_fd.h"
#include "engine/run/walk_options.h"
#include "engine/scan/checkpoint.h"
#include "engine/scan/scan_observer.h"
#include "engine/sweep/sweeper.h"

namespace mailsweep::engine {

struct ScanConfig {
  const ResolvedWalk* walk = nullptr;  // borrowed: what to sweep, the shard, the seed
  // How to send. Its walk fields (space, permutation, range, seed, start_position) are not read:
  // RunScan sets them from `walk` and the resume point.
  SweeperConfig sweeper;
  ProberOptions prober;
  std::string output;           // record file; resumed runs write OUTPUT.N
  std::string checkpoint_path;  // written periodically and at the end
  double checkpoint_interval_s = 5;
  double stop_timeout_s = 10;  // after a stop: how long in-flight probes may take
  std::string resume_path;     // non-empty: continue from this checkpoint
  std::string command_line;
  // Called on the main thread once every file and socket of the run is open (the record file,
  // both checkpoint slots, the status file through ScanObserver::OnStart(), the sweeper's
  // sockets or dry-run file) and before the first thread starts: where the command drops its
  // privileges. An error ends the run (RunScan returns it). May be empty.
  std::function<absl::Status()> set_up_done;
  uint32_t feeder_ring = 1 << 20;  // live hosts between the receive thread and the pool
  // The senders pause while more live hosts wait for a prober than this (0: twice the
  // connection cap, at least 64) and go on below half of it.
  uint64_t pause_backlog = 0;
};

struct ScanSummary {
  uint64_t targets_sent = 0;
  uint64_t open = 0;
  uint64_t probes_done = 0;
  uint64_t probes_abandoned = 0;   // left for a resume
  uint64_t skipped_known = 0;      // found again but already recorded by an earlier run
  uint64_t reprobed = 0;           // open hosts of earlier runs probed at start
  uint64_t prior_corruptions = 0;  // damaged places in the earlier files (records lost)
  uint64_t prior_dropped_bytes = 0;
  uint64_t opted_out = 0;        // live hosts opted out before a probe of theirs started
  uint64_t paused_ms = 0;        // time the senders spent held back by the probers
  uint64_t probes_retried = 0;   // attempts that ended transiently and were made again
  uint32_t loop_lag_max_ms = 0;  // the prober loops' longest pass
  SweepStats sweep;              // final figures; excluded_addresses: the whole run's opt-outs
  bool stopped = false;
  bool complete = false;
  std::string output_file;  // the file this run wrote
  uint64_t checkpoint_position = 0;
};

// Runs the scan to the end or to a stop signal, telling `observer` (borrowed) how it goes.
// Errors: configuration (kInvalidArgument, kFailedPrecondition for an incompatible or refused
// resume), I/O failures of the record file and the observer's OnStart() error.
absl::StatusOr<ScanSummary> RunScan(const ScanConfig& config, SignalFd* signals,
                                    ScanObserver* observer);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_SCAN_PIPELINE_H_
