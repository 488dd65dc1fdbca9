#include "targets/blocklist_reloader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/read_file.h"
#include "base/strings.h"
#include "targets/blocklist.h"
#include "targets/range_list.h"

namespace mailsweep::targets {

absl::StatusOr<BlocklistReloader> BlocklistReloader::Open(
    const std::vector<std::string>& files, const std::vector<std::string>& allow_reserved,
    IntervalSet original, ExclusionOverlay* overlay) {
  BlocklistReloader r(std::move(original), overlay);
  std::vector<std::string> notes;  // said when the run's blocklist was first read
  absl::StatusOr<Blocklist> reserved = Blocklist::Build({}, allow_reserved, &notes);
  if (!reserved.ok()) return reserved.status();
  r.reserved_ = reserved->reserved();
  for (const std::string& path : files) {
    absl::StatusOr<UniqueFd> fd = OpenInputFile(path);
    if (!fd.ok()) return fd.status();
    r.paths_.push_back(path);
    r.fds_.push_back(*std::move(fd));
  }
  return r;
}

void BlocklistReloader::Adopt(const IntervalSet& now) {
  excluded_ = excluded_.Union(now.Subtract(original_));
  overlay_->Publish(excluded_);
}

ReloadOutcome BlocklistReloader::Reload() {
  ReloadOutcome out;
  std::vector<Ipv4Range> ranges = reserved_.ranges();
  for (size_t i = 0; i < fds_.size(); ++i) {
    // The path must still lead to the file opened at the start: an editor that saves by
    // renaming, or a symlink moved to another file (a Kubernetes ConfigMap update), leaves the
    // old file open here, and reading it would say "nothing added" while the opt-out is not in
    // force. (A path this user may no longer look up cannot be checked: the open file is read.)
    struct stat opened, named;
    const bool have_opened = fstat(fds_[i].get(), &opened) == 0;
    const int named_rc = stat(paths_[i].c_str(), &named);
    const bool gone = named_rc != 0 && errno == ENOENT;
    const bool other =
        !gone && have_opened &&
        (opened.st_nlink == 0 ||
         (named_rc == 0 && (named.st_dev != opened.st_dev || named.st_ino != opened.st_ino)));
    if (gone || other) {
      out.status = absl::FailedPreconditionError(StrCat(
          paths_[i], gone ? ": removed" : ": replaced by another file",
          " since the start; the run can only re-read the file it opened then (it opens no file "
          "once running): write into it in place (e.g. `>>`), or stop the run and resume it "
          "with the grown list"));
      return out;
    }
    if (lseek(fds_[i].get(), 0, SEEK_SET) != 0) {
      out.status =
          absl::FailedPreconditionError(StrCat(paths_[i], ": cannot be read again (a pipe?)"));
      return out;
    }
    absl::StatusOr<RangeList> list = ReadRangeListFd(fds_[i], paths_[i]);
    if (!list.ok()) {
      out.status = list.status();
      return out;
    }
    ranges.insert(ranges.end(), list->ranges.begin(), list->ranges.end());
    out.notes.insert(out.notes.end(), list->warnings.begin(), list->warnings.end());
  }
  const IntervalSet now(std::move(ranges));
  const IntervalSet added = now.Subtract(original_).Subtract(excluded_);
  out.kept = original_.Union(excluded_).Subtract(now).Count();
  out.added = added.Count();
  if (!added.empty()) {
    excluded_ = excluded_.Union(added);
    overlay_->Publish(excluded_);
  }
  return out;
}

absl::Status CheckBlocklistKeeps(const IntervalSet& excluded_before, const IntervalSet& now) {
  const IntervalSet lacking = excluded_before.Subtract(now);
  if (lacking.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      StrCat("cannot resume: the blocklist no longer holds ", lacking.Count(),
             " address(es) the earlier runs left out (e.g. ", FormatRange(lacking.ranges()[0]),
             "); a resume may add to the -b files, never remove from them"));
}

}  // namespace mailsweep::targets
