// What the earlier runs of a resumed scan recorded: read from the record files its checkpoint
// names (OUTPUT, OUTPUT.1, ...) before a resumed `mailsweep scan` starts, so that it sweeps
// nothing twice and probes first the open hosts an earlier run found but did not probe. Used by
// RunScan (engine/scan/scan_pipeline.h).
//
// It refuses rather than guesses: a file the checkpoint names that is missing, empty, has a
// damaged header or belongs to another scan (scan id, seed, shards, shard, ports) ends the resume
// (kFailedPrecondition, naming the file and what is wrong), as does a gap in the numbering. Only
// files after the named ones, left by a run killed before its checkpoint named them, may be
// valid or (the very last) empty. A version-1 checkpoint names none: then the files that exist
// are read under the same rules, and the first one must be there.
//
// Example:
//   std::string next;
//   absl::StatusOr<PriorResults> prior = ReadPriorResults(old_checkpoint, &next);
//   for (const LiveTarget& t : prior->pending) feeder.AddPending(t);
//
// Single-threaded set-up code; the sets are read-only (and shared) once the run starts.
#ifndef MAILSWEEP_ENGINE_SCAN_PRIOR_RESULTS_H_
#define MAILSWEEP_ENGINE_SCAN_PRIOR_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "engine/scan/checkpoint.h"

namespace mailsweep::engine {

// An open (address, port) on its way to a prober.
struct LiveTarget {
  uint32_t address;
  uint16_t port;
};

// The key of an (address, port) in the sets below.
inline uint64_t TargetKey(uint32_t address, uint16_t port) {
  return (uint64_t{address} << 16) | port;
}

struct PriorResults {
  absl::flat_hash_set<uint64_t> swept;    // every (address, port) with a sweep record
  absl::flat_hash_set<uint64_t> claimed;  // with a probe record, or to be probed first now
  std::vector<LiveTarget> pending;        // open, but no probe record: probe these first
  std::vector<std::string> files;         // the paths read, in order
  uint64_t corruptions = 0;               // damaged places inside the files (records lost)
  uint64_t dropped_bytes = 0;             // by those
  // The first few of those places: "FILE at offset N: reason (B bytes)".
  std::vector<std::string> corruption_notes;
  uint64_t torn_tail_bytes = 0;
};

// Reads every record file of the scan `checkpoint` describes (see above); `*next_file` becomes
// the file the resumed run writes: the first unused name, or an empty file left last by a crash.
// Errors: kFailedPrecondition naming the file for a refused resume, kUnavailable when a file
// exists but cannot be read (permissions, I/O).
absl::StatusOr<PriorResults> ReadPriorResults(const Checkpoint& checkpoint, std::string* next_file);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_PRIOR_RESULTS_H_
