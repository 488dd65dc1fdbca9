// Re-reads a run's -b files (on SIGHUP) and publishes what they newly block to the run's
// ExclusionOverlay, never un-blocking anything: an opt-out takes effect during a sweep without
// changing its target space. Also the rule a resume must follow: the blocklist may only grow.
// Used by `sweep` (engine/cli/sweep_command.cc) and `scan` (engine/scan/scan_pipeline.cc).
//
// The files are opened once, at set-up (the run later drops the right to open files: see
// base/privileges.h and base/sandbox.h), and read again from the start at each reload: a file
// written in place (`>>`, `cat >`) is seen; one replaced by a new file (an editor's rename) is
// reported as such and its old text stays in force.
//
// Example:
//   auto reloader = BlocklistReloader::Open(files, allow_reserved, space.blocked(), &overlay);
//   reloader->Adopt(space.blocked());           // before the run's threads start
//   ... on SIGHUP: ReloadOutcome r = reloader->Reload();  // r.status: the old list stays
//
// Thread rules: one thread (the main thread); the overlay carries the result to the others.
#ifndef MAILSWEEP_TARGETS_BLOCKLIST_RELOADER_H_
#define MAILSWEEP_TARGETS_BLOCKLIST_RELOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "targets/exclusion_overlay.h"
#include "targets/interval_set.h"

namespace mailsweep::targets {

// What one Reload() did.
struct ReloadOutcome {
  // Not OK: a file could not be read or holds a bad line (the message names file and line); the
  // list in force stays as it was.
  absl::Status status;
  uint64_t added = 0;  // addresses newly excluded by this reload
  // Addresses blocked so far that the files no longer name: they stay blocked for this run.
  uint64_t kept = 0;
  std::vector<std::string> notes;  // warnings of the re-read (skipped IPv6 entries, ...)
};

class BlocklistReloader {
 public:
  // `files`, `allow_reserved`: the run's -b files and --allow-reserved CIDRs. `original`: the
  // blocked set the run's target space was built with (the walk already leaves it out).
  // `overlay` is borrowed and must outlive the reloader. Errors: a file that cannot be opened
  // (naming it), a bad --allow-reserved.
  static absl::StatusOr<BlocklistReloader> Open(const std::vector<std::string>& files,
                                                const std::vector<std::string>& allow_reserved,
                                                IntervalSet original, ExclusionOverlay* overlay);

  // Before the run's threads start: excludes `now` minus the original set (a resume whose
  // blocklist grew since the first run; empty for a fresh run) and publishes it.
  void Adopt(const IntervalSet& now);
  // Re-reads the files: what they block beyond the original set and the earlier reloads is
  // published at once. A failed read changes nothing.
  ReloadOutcome Reload();

  const IntervalSet& original() const { return original_; }
  // Everything excluded beyond the original set, by Adopt() and every Reload() so far.
  const IntervalSet& excluded() const { return excluded_; }

 private:
  BlocklistReloader(IntervalSet original, ExclusionOverlay* overlay)
      : original_(std::move(original)), overlay_(overlay) {}

  std::vector<std::string> paths_;
  std::vector<UniqueFd> fds_;  // paths_[i] as opened at set-up
  IntervalSet reserved_;       // the reserved ranges in force (--allow-reserved applied)
  IntervalSet original_;
  IntervalSet excluded_;
  ExclusionOverlay* overlay_;
};

// A resume's rule: OK when `now` (the resuming run's blocklist) holds every address of
// `excluded_before` (what the earlier runs left out); else kFailedPrecondition naming how many
// addresses it lacks and an example range.
absl::Status CheckBlocklistKeeps(const IntervalSet& excluded_before, const IntervalSet& now);

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_BLOCKLIST_RELOADER_H_
