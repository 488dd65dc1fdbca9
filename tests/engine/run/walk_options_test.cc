#include "engine/run/walk_options.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace mailsweep::engine {
namespace {

// A fresh directory for a default blocklist file "blocklist.conf"; removed at the end.
struct ConfDir {
  ConfDir() {
    char dir_template[] = "/tmp/mailsweep-conf-XXXXXX";
    dir = mkdtemp(dir_template);
    conf = dir + "/blocklist.conf";
  }
  ~ConfDir() { std::filesystem::remove_all(dir); }
  void Write(const std::string& text) const { std::ofstream(conf) << text; }
  std::string dir, conf;
};

// The lab's first /22 at one port, with `conf` as the default blocklist file.
absl::StatusOr<ResolvedWalk> Resolve(const std::string& conf,
                                     std::vector<std::string> blocklist_files = {}) {
  WalkOptions options;
  options.ports_text = "110";
  options.seed = 1;
  options.spec.allow_reserved = {"198.18.0.0/15"};
  options.spec.blocklist_files = std::move(blocklist_files);
  options.default_blocklist_file = conf;
  return ResolveWalk(options, {"198.18.0.0/22"});
}

TEST_CASE("A missing default blocklist file is no error and nothing is read", "[walk_options]") {
  ConfDir d;
  absl::StatusOr<ResolvedWalk> walk = Resolve(d.conf);
  REQUIRE(walk.ok());
  CHECK(walk->space.address_count() == 1024);
  CHECK(walk->blocklist_files.empty());
  CHECK(DescribeBlocklistFiles(walk->blocklist_files) == "no blocklist file read");
}

TEST_CASE("The default blocklist file is read first, then the -b files", "[walk_options]") {
  ConfDir d;
  d.Write("# opt-outs, one range a line\n198.18.1.0/24  # asked on 2026-11-02\n");
  const std::string optout = d.dir + "/optout.txt";
  std::ofstream(optout) << "198.18.2.0/25\n";
  absl::StatusOr<ResolvedWalk> walk = Resolve(d.conf, {optout});
  REQUIRE(walk.ok());
  CHECK(walk->space.address_count() == 1024 - 256 - 128);
  CHECK(walk->blocklist_files == std::vector<std::string>{d.conf, optout});
  CHECK(DescribeBlocklistFiles(walk->blocklist_files) ==
        "blocklist files read: " + d.conf + ", " + optout);
}

TEST_CASE("A malformed default blocklist file is an error naming the file and line",
          "[walk_options]") {
  ConfDir d;
  d.Write("198.18.1.0/24\n# fine\n198.18.300.0/24\n");
  absl::StatusOr<ResolvedWalk> walk = Resolve(d.conf);
  REQUIRE(absl::IsInvalidArgument(walk.status()));
  CHECK_THAT(std::string(walk.status().message()),
             Catch::Contains(d.conf) && Catch::Contains(":3"));
}

TEST_CASE("An unreadable default blocklist file is an error naming it", "[walk_options]") {
  ConfDir d;
  // A directory where the file should be: unreadable as a file even for root.
  REQUIRE(mkdir(d.conf.c_str(), 0755) == 0);
  absl::StatusOr<ResolvedWalk> walk = Resolve(d.conf);
  REQUIRE_FALSE(walk.ok());
  CHECK_THAT(std::string(walk.status().message()), Catch::Contains(d.conf));
  // A path through a regular file cannot be looked up at all: not "missing" either.
  const std::string through_file = d.dir + "/optout.txt/blocklist.conf";
  std::ofstream(d.dir + "/optout.txt") << "\n";
  walk = Resolve(through_file);
  REQUIRE_FALSE(walk.ok());
  CHECK_THAT(std::string(walk.status().message()),
             Catch::Contains(through_file) && Catch::Contains("--no-default-blocklist"));
}

TEST_CASE("The flag --no-default-blocklist skips the file and --help names it", "[walk_options]") {
  ConfDir d;
  d.Write("198.18.0.0/22\n");
  WalkOptions options;
  options.default_blocklist_file = d.conf;
  FlagSet flags("mailsweep targets", "[flags] CIDR...", "test");
  options.Register(&flags);
  const char* argv[] = {"targets", "--no-default-blocklist", "198.18.0.0/22"};
  std::vector<std::string> positional;
  REQUIRE(flags.Parse(3, argv, &positional).ok());
  CHECK(options.default_blocklist_file.empty());
  CHECK_THAT(flags.Help(), Catch::Contains("--no-default-blocklist") &&
                               Catch::Contains(std::string(DefaultBlocklistFile())));
  options.spec.allow_reserved = {"198.18.0.0/15"};
  options.ports_text = "110";
  absl::StatusOr<ResolvedWalk> walk = ResolveWalk(options, positional);
  REQUIRE(walk.ok());
  CHECK(walk->space.address_count() == 1024);
}

TEST_CASE("The compiled-in default blocklist file lies under SYSCONFDIR/mailsweep",
          "[walk_options]") {
  const std::string path(DefaultBlocklistFile());
  CHECK(path.front() == '/');
  CHECK_THAT(path, Catch::EndsWith("/mailsweep/blocklist.conf"));
}

TEST_CASE("The walk id changes with the blocklist, seed, shard and ports, and only then",
          "[walk_options]") {
  ConfDir d;
  d.Write("# nothing\n");
  auto base = Resolve(d.conf);
  REQUIRE(base.ok());
  auto same = Resolve(d.conf);
  REQUIRE(same.ok());
  CHECK(WalkId(*base) == WalkId(*same));
  d.Write("198.18.1.0/24\n");  // an opt-out: another space, another order
  auto blocked = Resolve(d.conf);
  REQUIRE(blocked.ok());
  CHECK(WalkId(*blocked) != WalkId(*base));
  ResolvedWalk other = *std::move(same);
  other.seed = 2;
  CHECK(WalkId(other) != WalkId(*base));
  other.seed = base->seed;
  other.shards = 2;
  CHECK(WalkId(other) != WalkId(*base));
  other.shard = 1;
  CHECK(WalkId(other) != WalkId(*base));
  other.shards = base->shards;
  other.shard = base->shard;
  CHECK(WalkId(other) == WalkId(*base));
  other.space = targets::TargetSpace(base->space.allowed(), {110, 143});
  CHECK(WalkId(other) != WalkId(*base));
}

}  // namespace
}  // namespace mailsweep::engine
