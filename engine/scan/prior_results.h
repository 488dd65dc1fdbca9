// What the earlier runs of a resumed scan recorded: read from OUTPUT, OUTPUT.1, ... before a
// resumed `mailsweep scan` starts, so that it sweeps nothing twice and probes first the open hosts
// an earlier run found but did not probe. Used by RunScan (engine/scan/scan_pipeline.h).
//
// Example:
//   std::string next;
//   absl::StatusOr<PriorResults> prior = ReadPriorResults("scan.msr", old.scan_id, &next);
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
  std::vector<std::string> files;
  uint64_t corruptions = 0;
  uint64_t torn_tail_bytes = 0;
};

// Reads every file of the scan `scan_id` (OUTPUT, OUTPUT.1, ... while they exist); `*next_file`
// becomes the first unused name. Errors: kFailedPrecondition when a file belongs to another scan,
// the reader's errors for an unreadable file (an empty one, left by a run killed before its
// header reached the disk, counts as holding nothing).
absl::StatusOr<PriorResults> ReadPriorResults(const std::string& output, const std::string& scan_id,
                                              std::string* next_file);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_PRIOR_RESULTS_H_
