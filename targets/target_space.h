// The space a sweep walks: the allowed addresses (targets minus blocklists) times the ports, as a
// dense index [0, size()) for the permutation, plus the walk itself (TargetWalk) that turns
// positions into (address, port). Built once at start-up by the commands in engine/; afterwards
// immutable and safe to share between threads (each thread owns its TargetWalk).
//
// Index layout: index = address_index * ports + port_index, so the low part picks the port (as
// in ZMap 4) and a multi-port sweep is one walk, not one walk per port.
//
// Example:
//   TargetSpec spec{.targets = {"198.18.0.0/15"}, .allow_reserved = {"198.18.0.0/15"},
//                   .ports = {110, 143}};
//   std::vector<std::string> notes;
//   absl::StatusOr<TargetSpace> space = TargetSpace::Build(spec, &notes);
#ifndef MAILSWEEP_TARGETS_TARGET_SPACE_H_
#define MAILSWEEP_TARGETS_TARGET_SPACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "targets/interval_set.h"
#include "targets/permutation.h"

namespace mailsweep::targets {

struct Target {
  uint32_t address = 0;  // host order
  uint16_t port = 0;
  friend bool operator==(const Target&, const Target&) = default;
};

// What the user asked for, as written; Build() validates it.
struct TargetSpec {
  std::vector<std::string> targets;          // positional CIDRs, addresses, ranges
  std::vector<std::string> allowlist_files;  // -w: more targets, one per line
  std::vector<std::string> blocklist_files;  // -b: added to the default blocklist
  std::vector<std::string> allow_reserved;   // --allow-reserved: lifted from the default only
  std::vector<uint16_t> ports;
};

class TargetSpace {
 public:
  // Errors (kInvalidArgument, kNotFound, ...) name the file, line and token at fault. `notes`
  // receives warnings a user should see (skipped IPv6 entries, targets removed as reserved).
  static absl::StatusOr<TargetSpace> Build(const TargetSpec& spec, std::vector<std::string>* notes);
  // The same with `blocked` instead of the spec's blocklist (the default list, --allow-reserved
  // and -b are not read): a resume rebuilds its first run's space from the checkpoint's record.
  static absl::StatusOr<TargetSpace> BuildWithBlocked(const TargetSpec& spec,
                                                      const IntervalSet& blocked,
                                                      std::vector<std::string>* notes);

  // For tests and tools that already hold sets; `ports` must not be empty.
  TargetSpace(IntervalSet allowed, std::vector<uint16_t> ports);

  uint64_t size() const { return allowed_.Count() * ports_.size(); }
  uint64_t address_count() const { return allowed_.Count(); }
  const IntervalSet& allowed() const { return allowed_; }
  const IntervalSet& blocked() const { return blocked_; }
  const std::vector<uint16_t>& ports() const { return ports_; }

  // Requires index < size().
  Target At(uint64_t index) const {
    uint64_t address_index = index;
    uint64_t port_index = 0;
    if (ports_.size() > 1) {
      // Exact for index < 2^48 and up to 2^16 ports (see port_magic_).
      address_index =
          static_cast<uint64_t>((static_cast<unsigned __int128>(index) * port_magic_) >> 64);
      port_index = index - address_index * ports_.size();
    }
    return {allowed_.AddressAt(address_index), ports_[port_index]};
  }

 private:
  // `recorded_blocked` null: the spec's blocklist.
  static absl::StatusOr<TargetSpace> BuildFrom(const TargetSpec& spec,
                                               const IntervalSet* recorded_blocked,
                                               std::vector<std::string>* notes);

  IntervalSet allowed_;
  IntervalSet blocked_;  // everything refused (default minus lifted, plus -b), for reports
  std::vector<uint16_t> ports_;
  uint64_t port_magic_ = 0;  // floor(2^64 / ports) + 1
};

// Keyed hash over the allowed ranges and ports: two runs walk the same space iff it matches
// (the checkpoint of `scan` keeps it; `sweep` prints it, in its walk id, to resume by).
uint64_t SpaceFingerprint(const TargetSpace& space);

// A cursor over the permutation that yields targets. One per thread.
class TargetWalk {
 public:
  TargetWalk(const TargetSpace& space, const Permutation& perm, PositionRange range)
      : space_(&space), cursor_(perm.Begin(range)) {}

  bool Next(Target* target) {
    uint64_t index;
    if (!cursor_.Next(&index)) return false;
    *target = space_->At(index);
    return true;
  }
  uint64_t position() const { return cursor_.position(); }

 private:
  const TargetSpace* space_;  // borrowed; must outlive the walk
  Permutation::Cursor cursor_;
};

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_TARGET_SPACE_H_
