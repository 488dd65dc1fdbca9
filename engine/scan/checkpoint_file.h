// Where a running scan keeps its checkpoint (engine/scan/checkpoint.h): two slots, FILE and
// FILE.next, both opened at set-up, so that the scan saves without creating or renaming a file
// once it runs without privileges (base/privileges.h) or under a sandbox. Each save goes in
// place into the slot that does not hold the newest checkpoint, with the next sequence number
// and a CRC32C, and is fsynced; Checkpoint::Load() takes the newest intact slot. A crash at any
// instant tears at most the slot being written: the other holds the save before.
// Used by RunScan (engine/scan/scan_pipeline.cc).
//
// Thread rules: one thread (the scan's main thread). Owns both descriptors.
//
// Example:
//   MAILSWEEP_ASSIGN_OR_RETURN(CheckpointFile file, CheckpointFile::Open(path, /*fresh=*/true));
//   ... DropPrivileges() ...
//   MAILSWEEP_RETURN_IF_ERROR(file.Save(cp));
#ifndef MAILSWEEP_ENGINE_SCAN_CHECKPOINT_FILE_H_
#define MAILSWEEP_ENGINE_SCAN_CHECKPOINT_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "engine/scan/checkpoint.h"

namespace mailsweep::engine {

class CheckpointFile {
 public:
  // Opens (creating them) both slots of `path`. `fresh`: a new scan, both slots are emptied;
  // otherwise (a resume writing the checkpoint it resumes) what they hold is kept and the next
  // save follows the newest intact one. kUnavailable naming the file when one cannot be opened.
  static absl::StatusOr<CheckpointFile> Open(const std::string& path, bool fresh);

  CheckpointFile(CheckpointFile&&) = default;
  CheckpointFile& operator=(CheckpointFile&&) = default;

  // Writes `cp` into the older slot (see above). kUnavailable naming the slot on a write or
  // fsync error; the other slot is intact then.
  absl::Status Save(const Checkpoint& cp);
  // Two saves: both slots hold `cp` after it, so that FILE itself shows the end of a run.
  absl::Status SaveBoth(const Checkpoint& cp);

  const std::string& path() const { return paths_[0]; }
  uint64_t sequence() const { return sequence_; }  // of the newest save (0: none yet)

 private:
  CheckpointFile() = default;
  std::string paths_[2];  // FILE, FILE.next
  UniqueFd fds_[2];
  int newest_ = 1;         // the slot holding the newest save; the next one goes to the other
  uint64_t sequence_ = 0;  // that save's sequence number
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SCAN_CHECKPOINT_FILE_H_
