// What a run must never send to: the built-in reserved ranges (targets/reserved.h) minus the
// parts the user lifts with --allow-reserved, plus the user's -b files. Built once at start-up by
// TargetSpace (sweep, scan, targets) and by `mailsweep probe`, so that every command refuses the
// same addresses. Value type; const methods are thread-safe.
//
// Example:
//   std::vector<std::string> notes;
//   absl::StatusOr<Blocklist> b = Blocklist::Build({"optout.txt"}, {"198.18.0.0/15"}, &notes);
//   if (b->reserved().Contains(ip)) ...   // refused as reserved
#ifndef MAILSWEEP_TARGETS_BLOCKLIST_H_
#define MAILSWEEP_TARGETS_BLOCKLIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "targets/interval_set.h"

namespace mailsweep::targets {

class Blocklist {
 public:
  // `files`: -b files, one CIDR/address/range per line. `allow_reserved`: --allow-reserved CIDRs.
  // Errors name the file, line and token at fault. `notes` receives warnings a user should see
  // (skipped IPv6 entries, an --allow-reserved that lifts nothing).
  static absl::StatusOr<Blocklist> Build(const std::vector<std::string>& files,
                                         const std::vector<std::string>& allow_reserved,
                                         std::vector<std::string>* notes);

  // The reserved ranges still in force (not lifted).
  const IntervalSet& reserved() const { return reserved_; }
  // Everything refused: reserved() and the -b files.
  const IntervalSet& all() const { return all_; }

 private:
  IntervalSet reserved_;
  IntervalSet all_;
};

// Parses CIDRs, addresses and ranges given on the command line; IPv6 entries are skipped with a
// note. `what` ("target", "--allow-reserved") starts each error and note.
absl::StatusOr<IntervalSet> ParseRangeArgs(const std::vector<std::string>& args,
                                           std::string_view what, std::vector<std::string>* notes);

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_BLOCKLIST_H_
