#include "targets/blocklist.h"

#include "base/strings.h"
#include "targets/range_list.h"
#include "targets/reserved.h"

namespace mailsweep::targets {

absl::StatusOr<IntervalSet> ParseRangeArgs(const std::vector<std::string>& args,
                                           std::string_view what,
                                           std::vector<std::string>* notes) {
  std::vector<Ipv4Range> ranges;
  for (const std::string& a : args) {
    if (LooksLikeIpv6(a)) {
      notes->push_back(StrCat(what, ": skipped IPv6 entry ", Quote(a)));
      continue;
    }
    auto r = ParseIpv4Range(a);
    if (!r.ok()) return absl::InvalidArgumentError(StrCat(what, ": ", r.status().message()));
    ranges.push_back(*r);
  }
  return IntervalSet(std::move(ranges));
}

absl::StatusOr<Blocklist> Blocklist::Build(const std::vector<std::string>& files,
                                           const std::vector<std::string>& allow_reserved,
                                           std::vector<std::string>* notes) {
  auto lifted = ParseRangeArgs(allow_reserved, "--allow-reserved", notes);
  if (!lifted.ok()) return lifted.status();
  const IntervalSet reserved = DefaultBlocklist();
  for (const Ipv4Range& r : lifted->ranges()) {
    if (IntervalSet({r}).Intersect(reserved).empty()) {
      notes->push_back(StrCat("--allow-reserved ", FormatRange(r),
                              " names no reserved addresses; it changes nothing"));
    }
  }
  std::vector<Ipv4Range> user_block;
  if (absl::Status s = AppendRangeListFiles(files, &user_block, notes); !s.ok()) return s;
  Blocklist b;
  b.reserved_ = reserved.Subtract(*lifted);
  b.all_ = b.reserved_.Union(IntervalSet(std::move(user_block)));
  return b;
}

}  // namespace mailsweep::targets
