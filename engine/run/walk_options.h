// The flags that choose what a sweep walks (-p, --seed, --shards/--shard, -b, -w,
// --allow-reserved, CIDR...), shared by `targets`, `sweep` and `scan` so they mean the same
// everywhere. Registered into a command's FlagSet; Resolve() builds the TargetSpace and the
// permutation. Single-threaded set-up code.
#ifndef MAILSWEEP_ENGINE_RUN_WALK_OPTIONS_H_
#define MAILSWEEP_ENGINE_RUN_WALK_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/flag_set.h"
#include "targets/permutation.h"
#include "targets/target_space.h"

namespace mailsweep::engine {

// The default mail ports: SMTP, POP3, IMAP, SMTPS, submission, IMAPS, POP3S.
inline constexpr char kDefaultMailPorts[] = "25,110,143,465,587,993,995";

struct WalkOptions {
  targets::TargetSpec spec;
  std::string ports_text = kDefaultMailPorts;
  std::optional<uint64_t> seed;  // none: a random one is drawn and reported
  uint64_t shards = 1;
  uint64_t shard = 0;

  // Adds the walk flags to `flags`; `this` must outlive flags.Parse().
  void Register(FlagSet* flags);
};

// Everything a walk needs, validated.
struct ResolvedWalk {
  targets::TargetSpace space;
  targets::Permutation permutation;
  targets::PositionRange shard_range;  // shard `shard` of `shards`
  uint64_t shards = 1;
  uint64_t shard = 0;
  uint64_t seed = 0;
  bool seed_was_random = false;
  std::vector<std::string> notes;  // warnings for the user
  // What SIGHUP re-reads (targets/blocklist_reloader.h): the -b files and --allow-reserved.
  std::vector<std::string> blocklist_files;
  std::vector<std::string> allow_reserved;
  // The blocklist the flags name now: space.blocked(), unless the space was rebuilt from a
  // recorded one (a resume), when it may hold more (applied as an ExclusionOverlay).
  targets::IntervalSet blocked_now;
};

// `positional` are the CIDR arguments. `recorded_blocked` (a resume's checkpoint record) given:
// the space leaves out exactly that set, and the flags' blocklist goes to `blocked_now` only.
// Errors are kInvalidArgument/kNotFound with a clear message.
absl::StatusOr<ResolvedWalk> ResolveWalk(WalkOptions options,
                                         const std::vector<std::string>& positional,
                                         const targets::IntervalSet* recorded_blocked = nullptr);

// Parses a seed: decimal or 0x-prefixed hex.
// -b/--blocklist-file and --allow-reserved (targets/blocklist.h), the same for every command
// that sends: the walk's commands through WalkOptions, and `mailsweep probe` for its input.
// The vectors must outlive flags->Parse().
void RegisterBlocklistFlags(FlagSet* flags, std::vector<std::string>* blocklist_files,
                            std::vector<std::string>* allow_reserved);

absl::StatusOr<uint64_t> ParseSeed(std::string_view text);
uint64_t RandomSeed();

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_RUN_WALK_OPTIONS_H_
