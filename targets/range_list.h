// Reads address lists: the positional CIDRs of a command and the files given with -b/-w.
// One entry per line (address, CIDR or range), '#' starts a comment, blank lines are skipped, and
// an IPv6 entry is skipped with a warning. Errors name the source, line and token, e.g.
//   "blocklist.txt:12: '10.0.0.300/8' is not an IPv4 CIDR block (a.b.c.d/0-32)".
// Pure functions apart from reading the named file (or an open one).
#ifndef MAILSWEEP_TARGETS_RANGE_LIST_H_
#define MAILSWEEP_TARGETS_RANGE_LIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "targets/ipv4.h"

namespace mailsweep::targets {

struct RangeList {
  std::vector<Ipv4Range> ranges;
  std::vector<std::string> warnings;  // "file:3: skipped IPv6 entry '2001:db8::/32'"
};

// `source` names the text in messages (a file name, or "command line").
absl::StatusOr<RangeList> ParseRangeList(std::string_view text, std::string_view source);

// Reads and parses a file; an unreadable file is kNotFound/kPermissionDenied naming the path.
absl::StatusOr<RangeList> ReadRangeListFile(const std::string& path);
// Reads and parses `fd` (opened from `path`) from where it stands to its end.
absl::StatusOr<RangeList> ReadRangeListFd(const UniqueFd& fd, const std::string& path);

// Reads each file and appends its ranges to `ranges` and its warnings to `notes`; stops at the
// first file that fails.
absl::Status AppendRangeListFiles(const std::vector<std::string>& paths,
                                  std::vector<Ipv4Range>* ranges, std::vector<std::string>* notes);

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_RANGE_LIST_H_
