#include "targets/target_space.h"

#include "base/siphash.h"
#include "base/strings.h"
#include "targets/blocklist.h"
#include "targets/range_list.h"
#include "targets/reserved.h"

namespace mailsweep::targets {

TargetSpace::TargetSpace(IntervalSet allowed, std::vector<uint16_t> ports)
    : allowed_(std::move(allowed)), ports_(std::move(ports)) {
  if (ports_.size() > 1) {
    port_magic_ =
        static_cast<uint64_t>((static_cast<unsigned __int128>(1) << 64) / ports_.size()) + 1;
  }
}

absl::StatusOr<TargetSpace> TargetSpace::Build(const TargetSpec& spec,
                                               std::vector<std::string>* notes) {
  return BuildFrom(spec, nullptr, notes);
}

absl::StatusOr<TargetSpace> TargetSpace::BuildWithBlocked(const TargetSpec& spec,
                                                          const IntervalSet& blocked,
                                                          std::vector<std::string>* notes) {
  return BuildFrom(spec, &blocked, notes);
}

absl::StatusOr<TargetSpace> TargetSpace::BuildFrom(const TargetSpec& spec,
                                                   const IntervalSet* recorded_blocked,
                                                   std::vector<std::string>* notes) {
  if (spec.ports.empty()) return absl::InvalidArgumentError("no ports given (-p)");
  const size_t notes_before = notes->size();
  auto cli = ParseRangeArgs(spec.targets, "target", notes);
  if (!cli.ok()) return cli.status();
  std::vector<Ipv4Range> target_ranges = cli->ranges();
  if (absl::Status s = AppendRangeListFiles(spec.allowlist_files, &target_ranges, notes); !s.ok()) {
    return s;
  }
  if (target_ranges.empty()) {
    // Say why when every target given was skipped (IPv6 entries), not that none was given.
    const std::string skipped =
        notes->size() > notes_before ? StrCat(" (", notes->back(), ")") : std::string();
    return absl::InvalidArgumentError(
        StrCat("no targets given", skipped,
               ": name CIDR blocks, addresses or ranges (all of IPv4 is 0.0.0.0/0), or an "
               "allowlist file with -w"));
  }
  const IntervalSet targets(std::move(target_ranges));

  IntervalSet still_reserved, blocked;
  if (recorded_blocked != nullptr) {
    blocked = *recorded_blocked;
    still_reserved = DefaultBlocklist().Intersect(blocked);
  } else {
    auto blocklist = Blocklist::Build(spec.blocklist_files, spec.allow_reserved, notes);
    if (!blocklist.ok()) return blocklist.status();
    still_reserved = blocklist->reserved();
    blocked = blocklist->all();
  }

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

uint64_t SpaceFingerprint(const TargetSpace& space) {
  const SipKey key = SipKey::FromSeed(0, /*domain=*/0x73706163);  // "spac"
  uint64_t h = SipHash24Words(key, space.address_count(), space.ports().size());
  for (const Ipv4Range& r : space.allowed().ranges()) {
    h = SipHash24Words(key, h, (uint64_t{r.first} << 32) | r.last);
  }
  for (uint16_t p : space.ports()) h = SipHash24Words(key, h, p);
  return h;
}

}  // namespace mailsweep::targets
