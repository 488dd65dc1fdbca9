#include "engine/scan/checkpoint_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/read_file.h"
#include "base/strings.h"

namespace mailsweep::engine {
namespace {

absl::Status SlotError(std::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(
      StrCat("checkpoint: ", what, " '", path, "': ", std::strerror(err)));
}

// The directory entries of newly made slots survive a crash too (best effort: some file systems
// refuse fsync on a directory).
void SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) (void)fsync(fd.get());
}

}  // namespace

absl::StatusOr<CheckpointFile> CheckpointFile::Open(const std::string& path, bool fresh) {
  CheckpointFile file;
  file.paths_[0] = path;
  file.paths_[1] = CheckpointSlotPath(path);
  for (int i = 0; i < 2; ++i) {
    const int flags = O_RDWR | O_CREAT | O_CLOEXEC | (fresh ? O_TRUNC : 0);
    file.fds_[i] = UniqueFd(open(file.paths_[i].c_str(), flags, 0644));
    if (file.fds_[i].get() < 0) return SlotError("cannot open", file.paths_[i], errno);
  }
  SyncDirectoryOf(path);
  if (!fresh) {
    // Continue after the newest intact slot; a damaged one is simply the next to be written.
    for (int i = 0; i < 2; ++i) {
      auto text = ReadWholeFile(file.paths_[i], Checkpoint::kMaxBytes, /*text=*/true);
      if (!text.ok()) continue;
      auto cp = Checkpoint::Parse(*text, file.paths_[i]);
      if (cp.ok() && (file.sequence_ == 0 || cp->sequence > file.sequence_)) {
        file.sequence_ = cp->sequence;
        file.newest_ = i;
      }
    }
  }
  return file;
}

absl::Status CheckpointFile::Save(const Checkpoint& cp) {
  const int slot = 1 - newest_;
  const std::string text = cp.Format(paths_[0], sequence_ + 1);
  // A save that a resume would refuse to read is no checkpoint: say so now (at the first save,
  // before any packet, when the blocklists are that large from the start).
  if (text.size() > Checkpoint::kMaxBytes) {
    return absl::ResourceExhaustedError(StrCat(
        "checkpoint: ", paths_[slot], " would take ", text.size(), " bytes, more than a resume "
        "reads (", Checkpoint::kMaxBytes, "): the blocklists have too many ranges (",
        cp.blocked.ranges().size() + cp.excluded.ranges().size(),
        "); block fewer, larger ranges"));
  }
  const int fd = fds_[slot].get();
  const std::string& path = paths_[slot];
  // In place: a save shorter than the slot's old bytes leaves a tail until the truncate, which
  // the checksum line then refuses ("data after the checksum").
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SlotError("writing", path, errno);
    done += static_cast<size_t>(n);
  }
  if (ftruncate(fd, static_cast<off_t>(text.size())) != 0) {
    return SlotError("truncating", path, errno);
  }
  if (fsync(fd) != 0) return SlotError("fsync", path, errno);
  newest_ = slot;
  ++sequence_;
  return absl::OkStatus();
}

absl::Status CheckpointFile::SaveBoth(const Checkpoint& cp) {
  if (absl::Status s = Save(cp); !s.ok()) return s;
  return Save(cp);
}

}  // namespace mailsweep::engine
