// A scan's resume point: where the walk of one shard may continue after a stop (SIGINT/SIGTERM)
// or a crash (kill -9), plus every setting that must not change between the runs (seed, shard,
// ports, the target space, the output). Written by the pipeline periodically and at a stop, read
// by `mailsweep scan --resume FILE`. Single-threaded use.
//
// The checkpoint is small text ("key value" lines, documented in docs/commands.md, `mailsweep
// scan`) kept in two slots, FILE and FILE.next (engine/scan/checkpoint_file.h writes them), each
// save carrying a sequence number and a CRC32C; Load() takes the newest intact slot. It also
// names every record file the scan has written (OUTPUT, OUTPUT.1, ...), so that a resume can
// refuse when one is missing or not the scan's (engine/scan/prior_results.h).
//
// Example:
//   Checkpoint cp = Checkpoint::For(walk, output, scan_id);
//   cp.position = safe_position;
//   MAILSWEEP_RETURN_IF_ERROR(checkpoint_file.Save(cp));
//   ...
//   MAILSWEEP_ASSIGN_OR_RETURN(Checkpoint old, Checkpoint::Load(path));
//   MAILSWEEP_RETURN_IF_ERROR(old.CheckCompatible(Checkpoint::For(walk, output, old.scan_id)));
#ifndef MAILSWEEP_ENGINE_SCAN_CHECKPOINT_H_
#define MAILSWEEP_ENGINE_SCAN_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "targets/target_space.h"

namespace mailsweep::engine {

struct Checkpoint {
  // 4 added the `blocked` and `excluded` lines (what the runs left out); 3 added the `sequence`
  // and `crc32c` lines (two slots written in place); 2 added the `file` lines. Versions 1 to 3
  // are still read (1 and 2: one file, written by rename).
  static constexpr int kVersion = 4;
  // The most a slot may hold: the ranges of long opt-out lists, one line each.
  static constexpr size_t kMaxBytes = size_t{16} << 20;

  std::string scan_id;
  uint64_t seed = 0;
  uint64_t shards = 1;
  uint64_t shard = 0;
  std::vector<uint16_t> ports;
  uint64_t space_size = 0;         // targets in the space (addresses x ports)
  uint64_t space_fingerprint = 0;  // keyed hash of the allowed ranges and ports
  uint64_t range_begin = 0;        // the shard's positions [range_begin, range_end)
  uint64_t range_end = 0;
  std::string output;  // the record file of the run
  // The record files written so far, in order: the names (without the directory) of
  // RecordFilePath(output, 0), RecordFilePath(output, 1), ... Load() checks that order.
  std::vector<std::string> files;
  bool files_known = true;  // false when loaded from a version-1 checkpoint, which had no list
  // Every position below this one is finished: sent, its replies awaited, its live hosts probed
  // and all their records durable in `output`.
  uint64_t position = 0;
  bool complete = false;  // the shard's walk finished
  // Which save this is (1, 2, ...; 0 when loaded from version 1 or 2): the newer slot wins.
  uint64_t sequence = 0;
  // What the first run's target space left out (its blocklist at start): a resume rebuilds
  // that space from it, so the walk and its positions stay the same.
  targets::IntervalSet blocked;
  // What the runs blocked since (SIGHUP re-reads, a resume's grown -b files): a resume's
  // blocklist must hold `blocked` and `excluded` (targets/blocklist_reloader.h).
  targets::IntervalSet excluded;
  bool blocked_known = true;  // false when loaded from versions 1 to 3, which had neither

  // The settings of a walk (position = range begin).
  static Checkpoint For(const targets::TargetSpace& space, uint64_t seed, uint64_t shards,
                        uint64_t shard, uint64_t range_begin, uint64_t range_end,
                        std::string output, std::string scan_id);

  // The text of one slot (version 3): the fields, `sequence`, then a `crc32c` line over every
  // byte before it. `path` goes into the comment that says how to resume.
  std::string Format(const std::string& path, uint64_t sequence) const;
  // One slot's text; `name` (the slot's path) goes into the messages. kDataLoss for a malformed
  // text, a version-3 text whose checksum does not match, or bytes after the checksum.
  static absl::StatusOr<Checkpoint> Parse(std::string_view text, const std::string& name);
  // The newest intact slot of `path` (path and CheckpointSlotPath(path)). kNotFound when neither
  // exists; kFailedPrecondition when they are empty (a scan killed before its first save: start
  // again); kDataLoss when no slot is intact, naming path and line of each.
  static absl::StatusOr<Checkpoint> Load(const std::string& path);

  // kFailedPrecondition naming every setting that differs from `current` (which comes from the
  // flags of the resuming run).
  absl::Status CheckCompatible(const Checkpoint& current) const;
  // kFailedPrecondition when `blocked_now` (the resuming run's blocklist) lacks an address the
  // earlier runs left out (`blocked` or `excluded`): the resume would scan what they did not.
  absl::Status CheckBlocklist(const targets::IntervalSet& blocked_now) const;
};

// The second slot of the checkpoint `path`: "PATH.next".
std::string CheckpointSlotPath(const std::string& path);

// The i-th record file of a scan writing `output`: OUTPUT itself, then OUTPUT.1, OUTPUT.2, ...
std::string RecordFilePath(const std::string& output, size_t index);
// The name of `path` without its directory ("a/b.msr" -> "b.msr").
std::string FileNameOf(const std::string& path);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_CHECKPOINT_H_
