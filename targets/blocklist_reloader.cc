#include "targets/blocklist_reloader.h"

#include <sys/stat.h>
#include <unistd.h>

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
    struct stat st;
    if (fstat(fds_[i].get(), &st) == 0 && st.st_nlink == 0) {
      out.status = absl::FailedPreconditionError(
          StrCat(paths_[i],
                 ": replaced or removed since the start; the run reads the file it "
                 "opened then: write into it in place (e.g. `>>`)"));
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
