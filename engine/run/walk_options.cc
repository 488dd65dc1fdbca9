#include "engine/run/walk_options.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "base/siphash.h"
#include "base/strings.h"
#include "targets/blocklist.h"
#include "targets/port_list.h"

// From the configure step (engine/run/CMakeLists.txt), on this file only.
#ifndef MAILSWEEP_DEFAULT_BLOCKLIST_FILE
#define MAILSWEEP_DEFAULT_BLOCKLIST_FILE "/usr/local/etc/mailsweep/blocklist.conf"
#endif

namespace mailsweep::engine {

std::string_view DefaultBlocklistFile() { return MAILSWEEP_DEFAULT_BLOCKLIST_FILE; }

absl::Status AddDefaultBlocklistFile(const std::string& default_file,
                                     std::vector<std::string>* files) {
  if (default_file.empty()) return absl::OkStatus();
  struct stat st;
  if (stat(default_file.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return absl::OkStatus();
    return absl::InvalidArgumentError(StrCat("cannot read the default blocklist ", default_file,
                                             ": ", strerror(err),
                                             " (--no-default-blocklist skips it)"));
  }
  files->insert(files->begin(), default_file);
  return absl::OkStatus();
}

std::string DescribeBlocklistFiles(const std::vector<std::string>& files) {
  if (files.empty()) return "no blocklist file read";
  std::string out = "blocklist files read: ";
  for (size_t i = 0; i < files.size(); ++i) StrAppend(&out, i ? ", " : "", files[i]);
  return out;
}

absl::StatusOr<uint64_t> ParseSeed(std::string_view text) {
  uint64_t value = 0;
  int base = 10;
  std::string_view digits = text;
  if (digits.size() > 2 && (digits.substr(0, 2) == "0x" || digits.substr(0, 2) == "0X")) {
    digits.remove_prefix(2);
    base = 16;
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return absl::InvalidArgumentError(
        StrCat(Quote(text), " is not a seed (a 64-bit number, decimal or 0x-hex)"));
  }
  return value;
}

uint64_t RandomSeed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return seed;
}

void WalkOptions::Register(FlagSet* flags) {
  flags->String("-p,--ports", "PORTS", "ports to probe: list and ranges, e.g. 110,143,990-995",
                &ports_text);
  flags->Custom("--seed", "SEED",
                "seed of the target order (decimal or 0x-hex); shards of one sweep need the same "
                "seed",
                "random, printed", [this](std::string_view v) -> absl::Status {
                  auto s = ParseSeed(v);
                  if (!s.ok()) return s.status();
                  seed = *s;
                  return absl::OkStatus();
                });
  flags->Uint64("--shards", "N", "split the sweep into N shards (machines or processes)", &shards);
  flags->Uint64("--shard", "I", "which shard this process walks, from 0 to N-1", &shard);
  flags->StringList("-w,--allowlist-file", "FILE", "more targets, one CIDR/address/range per line",
                    &spec.allowlist_files);
  RegisterBlocklistFlags(flags, &spec.blocklist_files, &default_blocklist_file,
                         &spec.allow_reserved);
}

void RegisterBlocklistFlags(FlagSet* flags, std::vector<std::string>* blocklist_files,
                            std::string* default_file, std::vector<std::string>* allow_reserved) {
  flags->StringList("-b,--blocklist-file", "FILE",
                    StrCat("addresses never to probe, one CIDR/address/range per line, added to "
                           "the built-in reserved-range blocklist and to ",
                           DefaultBlocklistFile(), " (read when it exists)"),
                    blocklist_files);
  flags->Custom("--no-default-blocklist", "",
                StrCat("do not read ", DefaultBlocklistFile(),
                       " (the reserved ranges and -b files still apply)"),
                "", [default_file](std::string_view) -> absl::Status {
                  default_file->clear();
                  return absl::OkStatus();
                });
  flags->StringList("--allow-reserved", "CIDR",
                    "lift exactly this part of the built-in reserved-range blocklist (the lab "
                    "needs 198.18.0.0/15)",
                    allow_reserved);
}

absl::StatusOr<ResolvedWalk> ResolveWalk(WalkOptions options,
                                         const std::vector<std::string>& positional,
                                         const targets::IntervalSet* recorded_blocked) {
  if (options.shards == 0) return absl::InvalidArgumentError("--shards must be at least 1");
  if (options.shard >= options.shards) {
    return absl::InvalidArgumentError(StrCat(
        "--shard ", options.shard, " is out of range: shards run from 0 to ", options.shards - 1));
  }
  auto ports = targets::ParsePortList(options.ports_text);
  if (!ports.ok()) return absl::InvalidArgumentError(StrCat("-p: ", ports.status().message()));
  options.spec.ports = *std::move(ports);
  options.spec.targets.insert(options.spec.targets.end(), positional.begin(), positional.end());
  if (absl::Status s =
          AddDefaultBlocklistFile(options.default_blocklist_file, &options.spec.blocklist_files);
      !s.ok()) {
    return s;
  }

  std::vector<std::string> notes;
  auto space = recorded_blocked == nullptr ? targets::TargetSpace::Build(options.spec, &notes)
                                           : targets::TargetSpace::BuildWithBlocked(
                                                 options.spec, *recorded_blocked, &notes);
  if (!space.ok()) return space.status();
  targets::IntervalSet blocked_now = space->blocked();
  if (recorded_blocked != nullptr) {
    auto now = targets::Blocklist::Build(options.spec.blocklist_files, options.spec.allow_reserved,
                                         &notes);
    if (!now.ok()) return now.status();
    blocked_now = now->all();
  }
  const bool random = !options.seed.has_value();
  const uint64_t seed = random ? RandomSeed() : *options.seed;
  auto perm = targets::Permutation::Create(space->size(), seed);
  if (!perm.ok()) return perm.status();
  targets::PositionRange range = perm->Shard(options.shards, options.shard);
  return ResolvedWalk{.space = *std::move(space),
                      .permutation = *std::move(perm),
                      .shard_range = range,
                      .shards = options.shards,
                      .shard = options.shard,
                      .seed = seed,
                      .seed_was_random = random,
                      .blocklist_files = options.spec.blocklist_files,
                      .notes = std::move(notes),
                      .allow_reserved = options.spec.allow_reserved,
                      .blocked_now = std::move(blocked_now)};
}

uint64_t WalkId(const ResolvedWalk& walk) {
  const SipKey key = SipKey::FromSeed(0, /*domain=*/0x77616c6b);  // "walk"
  const uint64_t h = SipHash24Words(key, targets::SpaceFingerprint(walk.space), walk.seed);
  return SipHash24Words(key, SipHash24Words(key, h, walk.shards), walk.shard);
}

}  // namespace mailsweep::engine
