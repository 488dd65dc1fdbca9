// The flags that choose what a sweep walks (-p, --seed, --shards/--shard, -b, -w,
// --allow-reserved, CIDR...), shared by `targets`, `sweep` and `scan` so they mean the same
// everywhere. Registered into a command's FlagSet; Resolve() builds the TargetSpace and the
// permutation. Single-threaded set-up code.
#ifndef MAILSWEEP_ENGINE_RUN_WALK_OPTIONS_H_
#define MAILSWEEP_ENGINE_RUN_WALK_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/flag_set.h"
#include "targets/permutation.h"
#include "targets/target_space.h"

namespace mailsweep::engine {

// The default mail ports: SMTP, POP3, IMAP, SMTPS, submission, IMAPS, POP3S.
inline constexpr char kDefaultMailPorts[] = "25,110,143,465,587,993,995";

// The blocklist file every command that sends reads besides the built-in reserved ranges and
// the -b files, as ZMap reads /etc/zmap/blocklist.conf: SYSCONFDIR/mailsweep/blocklist.conf,
// SYSCONFDIR compiled in (CMAKE_INSTALL_FULL_SYSCONFDIR: /etc for the package, /usr/local/etc
// for a build tree). NUL-terminated.
std::string_view DefaultBlocklistFile();

// `default_file` goes first into `files` when it exists: a missing file is no error (a build
// tree's /usr/local/etc usually has none), an unreadable or malformed one is (Blocklist::Build
// names the file and line). An empty `default_file` (--no-default-blocklist) adds nothing.
absl::Status AddDefaultBlocklistFile(const std::string& default_file,
                                     std::vector<std::string>* files);

// "blocklist files read: A, B" or "no blocklist file read", for the start lines.
std::string DescribeBlocklistFiles(const std::vector<std::string>& files);

struct WalkOptions {
  targets::TargetSpec spec;
  // Read besides spec.blocklist_files; cleared by --no-default-blocklist.
  std::string default_blocklist_file = std::string(DefaultBlocklistFile());
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
  // The -b files read: the default one (if any), then -b. SIGHUP re-reads them, with
  // --allow-reserved (targets/blocklist_reloader.h).
  std::vector<std::string> blocklist_files;
  std::vector<std::string> notes;  // warnings for the user
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

// -b/--blocklist-file, --no-default-blocklist and --allow-reserved (targets/blocklist.h), the
// same for every command that sends: the walk's commands through WalkOptions, and `mailsweep
// probe` for its input. --no-default-blocklist clears *default_file. The pointees must outlive
// flags->Parse().
void RegisterBlocklistFlags(FlagSet* flags, std::vector<std::string>* blocklist_files,
                            std::string* default_file, std::vector<std::string>* allow_reserved);

// Parses a seed: decimal or 0x-prefixed hex.
absl::StatusOr<uint64_t> ParseSeed(std::string_view text);
uint64_t RandomSeed();

// The walk's identity: a keyed hash of its target space (targets::SpaceFingerprint), seed and
// shard. Two runs send the same targets in the same order iff their ids match: `sweep` prints
// it beside its resume position, and --expect-walk refuses a resume whose walk is another.
uint64_t WalkId(const ResolvedWalk& walk);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_RUN_WALK_OPTIONS_H_
