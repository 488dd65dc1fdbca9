// What a running scan tells its command: the resume point, each stop signal, a progress snapshot
// about once a second and the last one at the end. RunScan (engine/scan/scan_pipeline.h) calls
// it; `mailsweep scan` (engine/cli/scan_command.cc) supplies one that prints the status line and
// writes --status-json, so that no formatting lives in the pipeline.
//
// Thread rules: every call comes from the thread running RunScan, in this order: OnResume() (only
// when resuming), OnStart(), then OnProgress(), OnStop() and OnReload() as they happen, then
// OnEnd() once the record file is closed (unless an error ended the run before). The observer
// is borrowed and must outlive RunScan.
#ifndef MAILSWEEP_ENGINE_SCAN_SCAN_OBSERVER_H_
#define MAILSWEEP_ENGINE_SCAN_SCAN_OBSERVER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/prober/prober_pool.h"
#include "engine/sweep/sweeper.h"
#include "targets/blocklist_reloader.h"
#include "targets/permutation.h"

namespace mailsweep::engine {

// Both stages at one moment.
struct ScanProgress {
  double elapsed_s = 0;  // since the sweep started
  SweepStats sweep;
  ProberStats probe;
  uint64_t backlog = 0;     // live hosts waiting for a prober (LiveHostFeeder::Backlog())
  uint64_t cut_off = 0;     // live hosts left without a record so far (for a resume)
  uint64_t checkpoint = 0;  // the position the checkpoint file holds
  uint64_t opted_out = 0;   // live hosts opted out before a probe of theirs started
};

// Where a resumed scan goes on and what the earlier runs left.
struct ScanResumeInfo {
  uint64_t position = 0;         // the first position this run sends
  targets::PositionRange range;  // the shard's positions
  uint64_t files = 0;            // earlier files read
  uint64_t swept = 0;            // targets with a sweep record
  uint64_t probed = 0;           // targets with a probe record
  uint64_t pending = 0;          // open hosts without one, probed first now
  uint64_t torn_tail_bytes = 0;  // skipped at the end of an earlier file
  uint64_t corruptions = 0;      // damaged places in the earlier files: their records are lost
  uint64_t dropped_bytes = 0;    // by those
  // The first few of those places, "FILE at offset N: reason (B bytes)".
  std::vector<std::string> corruption_notes;
  std::string file;              // the file this run writes
};

class ScanObserver {
 public:
  virtual ~ScanObserver() = default;
  virtual void OnResume(const ScanResumeInfo& resume) = 0;
  // Before the sweep starts, after the record file and the stages are made, and before any
  // thread starts: files the observer writes are opened here (ScanConfig::set_up_done may drop
  // the right to create them next). An error ends the run (RunScan returns it).
  virtual absl::Status OnStart() = 0;
  // A stop signal arrived; `stops` counts them (1: finish in flight, 2: abandon).
  virtual void OnStop(int stops) = 0;
  // SIGHUP re-read the -b files: what it did, and how many addresses the run has blocked since
  // it started (all reloads, and a resume's grown blocklist).
  virtual void OnReload(const targets::ReloadOutcome& outcome, uint64_t excluded_total) = 0;
  // About once a second; `prev` is the snapshot of the call before (or of the start).
  virtual void OnProgress(const ScanProgress& now, const ScanProgress& prev) = 0;
  // The final figures, once the record file is closed (backlog 0).
  virtual void OnEnd(const ScanProgress& last) = 0;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_SCAN_OBSERVER_H_
