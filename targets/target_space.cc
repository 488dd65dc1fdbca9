#include "targets/target_space.h"

#include "base/strings.h"
#include "targets/range_list.h"
#include "targets/reserved.h"

namespace mailsweep::targets {
namespace {

absl::Status AddList(const absl::StatusOr<RangeList>& list, std::vector<Ipv4Range>* ranges,
                     std::vector<std::string>* notes) {
  if (!list.ok()) return list.status();
  ranges->insert(ranges->end(), list->ranges.begin(), list->ranges.end());
  notes->insert(notes->end(), list->warnings.begin(), list->warnings.end());
  return absl::OkStatus();
}

absl::StatusOr<IntervalSet> ParseArgs(const std::vector<std::string>& args, std::string_view what,
                                      std::vector<std::string>* notes) {
  std::vector<Ipv4Range> ranges;
  for (const std::string& a : args) {
    if (LooksLikeIpv6(a)) {
      notes->push_back(StrCat(what, ": skipped IPv6 entry '", a, "'"));
      continue;
    }
    auto r = ParseIpv4Range(a);
    if (!r.ok()) return absl::InvalidArgumentError(StrCat(what, ": ", r.status().message()));
    ranges.push_back(*r);
  }
  return IntervalSet(std::move(ranges));
}

}  // namespace

TargetSpace::TargetSpace(IntervalSet allowed, std::vector<uint16_t> ports)
    : allowed_(std::move(allowed)), ports_(std::move(ports)) {
  if (ports_.size() > 1) {
    port_magic_ =
        static_cast<uint64_t>((static_cast<unsigned __int128>(1) << 64) / ports_.size()) + 1;
  }
}

absl::StatusOr<TargetSpace> TargetSpace::Build(const TargetSpec& spec,
                                               std::vector<std::string>* notes) {
  if (spec.ports.empty()) return absl::InvalidArgumentError("no ports given (-p)");
  auto cli = ParseArgs(spec.targets, "target", notes);
  if (!cli.ok()) return cli.status();
  std::vector<Ipv4Range> target_ranges = cli->ranges();
  for (const std::string& file : spec.allowlist_files) {
    if (auto s = AddList(ReadRangeListFile(file), &target_ranges, notes); !s.ok()) return s;
  }
  if (target_ranges.empty()) {
    return absl::InvalidArgumentError(
        "no targets given: name CIDR blocks, addresses or ranges (all of IPv4 is 0.0.0.0/0), "
        "or an allowlist file with -w");
  }
  const IntervalSet targets(std::move(target_ranges));

  auto lifted = ParseArgs(spec.allow_reserved, "--allow-reserved", notes);
  if (!lifted.ok()) return lifted.status();
  const IntervalSet reserved = DefaultBlocklist();
  for (const Ipv4Range& r : lifted->ranges()) {
    if (IntervalSet({r}).Intersect(reserved).empty()) {
      notes->push_back(StrCat("--allow-reserved ", FormatRange(r),
                              " names no reserved addresses; it changes nothing"));
    }
  }
  std::vector<Ipv4Range> user_block;
  for (const std::string& file : spec.blocklist_files) {
    if (auto s = AddList(ReadRangeListFile(file), &user_block, notes); !s.ok()) return s;
  }
  const IntervalSet still_reserved = reserved.Subtract(*lifted);
  const IntervalSet blocked = still_reserved.Union(IntervalSet(std::move(user_block)));

  // Tell the user when reserved space was asked for and silently would not be scanned.
  const IntervalSet refused = targets.Intersect(still_reserved);
  if (!refused.empty()) {
    std::string which;
    for (size_t i = 0; i < refused.ranges().size() && i < 4; ++i) {
      StrAppend(&which, i ? ", " : "", FormatRange(refused.ranges()[i]));
    }
    if (refused.ranges().size() > 4) StrAppend(&which, ", ...");
    notes->push_back(StrCat(refused.Count(), " reserved addresses left out (", which,
                            "); name them with --allow-reserved CIDR to scan them"));
  }

  TargetSpace space(targets.Subtract(blocked), spec.ports);
  space.blocked_ = blocked;
  if (space.size() == 0) {
    std::string why = "every target is reserved or blocked";
    if (!refused.empty()) why = notes->back();
    return absl::InvalidArgumentError(StrCat("no targets left after the blocklists: ", why));
  }
  if (space.address_count() > (uint64_t{1} << 32) || space.ports_.size() > 65535) {
    return absl::InvalidArgumentError("target space too large");
  }
  return space;
}

}  // namespace mailsweep::targets
