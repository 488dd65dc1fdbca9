#include "engine/cli/sweep_options.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/strings.h"

namespace mailsweep::engine {

TEST_CASE("Default source ports avoid the kernel's ephemeral range", "[sweep_options]") {
  PortRange r = DefaultSourcePorts(32768, 60999);
  CHECK(r.first == 61000);
  CHECK(r.count == 4536);
  r = DefaultSourcePorts(32768, 65535);  // nothing above: take 1024..32767
  CHECK(r.first == 1024);
  CHECK(r.count == 31744);
  r = DefaultSourcePorts(10000, 65000);  // 535 above, 8976 below
  CHECK(r.first == 1024);
  CHECK(r.count == 8976);
}

TEST_CASE("ParseSourcePorts", "[sweep_options]") {
  auto r = ParseSourcePorts("40000-40999");
  REQUIRE(r.ok());
  CHECK(r->first == 40000);
  CHECK(r->count == 1000);
  r = ParseSourcePorts("5555");
  REQUIRE(r.ok());
  CHECK(r->count == 1);
  CHECK_FALSE(ParseSourcePorts("0-10").ok());
  CHECK_FALSE(ParseSourcePorts("20-10").ok());
  CHECK_FALSE(ParseSourcePorts("1-70000").ok());
  CHECK_FALSE(ParseSourcePorts("a-b").ok());
}

namespace {

// The walk of `ports` over `cidrs` in the lab's space (198.18.0.0/15 lifted from the blocklist).
ResolvedWalk LabWalk(const std::string& ports, const std::vector<std::string>& cidrs) {
  WalkOptions options;
  options.ports_text = ports;
  options.seed = 7;
  options.spec.allow_reserved = {"198.18.0.0/15"};
  absl::StatusOr<ResolvedWalk> walk = ResolveWalk(options, cidrs);
  REQUIRE(walk.ok());
  return *std::move(walk);
}

// A dry run's flags: nothing of the machine is required, nothing is sent.
SweepFlags DryRun(uint64_t rate) {
  SweepFlags flags;
  flags.rate = rate;
  flags.rate_given = true;
  flags.dryrun = "/dev/null";
  flags.sources = {"192.0.2.1"};
  flags.gateway_mac = "02:00:00:00:00:01";
  return flags;
}

}  // namespace

TEST_CASE("An unlimited rate on more than a /16 of targets needs --unlimited-rate-ok",
          "[sweep_options]") {
  const ResolvedWalk just_over = LabWalk("110", {"198.18.0.0/16", "198.19.0.0/32"});
  REQUIRE(just_over.space.size() == kUnlimitedRateTargets + 1);
  absl::StatusOr<SweeperConfig> refused = BuildSweeperConfig(DryRun(0), just_over, 0);
  REQUIRE(absl::IsInvalidArgument(refused.status()));
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("--unlimited-rate-ok") && Catch::Contains("65537 targets"));
  // Two ports on a /16 are over it too: targets count (address, port) pairs.
  CHECK(absl::IsInvalidArgument(
      BuildSweeperConfig(DryRun(0), LabWalk("110,143", {"198.18.0.0/16"}), 0).status()));

  SweepFlags confirmed = DryRun(0);
  confirmed.unlimited_rate_ok = true;
  CHECK(BuildSweeperConfig(confirmed, just_over, 0).ok());
  CHECK(BuildSweeperConfig(DryRun(1000000), just_over, 0).ok());
  const ResolvedWalk exactly = LabWalk("110", {"198.18.0.0/16"});
  CHECK(BuildSweeperConfig(DryRun(0), exactly, 0).ok());
}

TEST_CASE("DescribeSweep says the rate, the blocklist size and the expected duration",
          "[sweep_options]") {
  const ResolvedWalk walk = LabWalk("110,143", {"198.18.0.0/22"});
  SweepFlags flags = DryRun(2048);
  flags.cooldown = 3;
  absl::StatusOr<SweeperConfig> config = BuildSweeperConfig(flags, walk, 0);
  REQUIRE(config.ok());
  const std::string line = DescribeSweep(*config, walk, 1, 0);
  CHECK_THAT(line, Catch::Contains("2048 targets") && Catch::Contains("; 2048 p/s; "));
  CHECK_THAT(line,
             Catch::Contains(StrCat("; blocklist ", walk.space.blocked().Count(), " addresses (",
                                    DescribeBlocklistFiles(walk.blocklist_files), "); ")));
  // 2048 SYNs at 2048 p/s, then 3 s of cooldown.
  CHECK_THAT(line, Catch::Contains("expected duration 0:04 "));

  flags.rate = 0;
  config = BuildSweeperConfig(flags, walk, 0);
  REQUIRE(config.ok());
  CHECK_THAT(DescribeSweep(*config, walk, 1, 0),
             Catch::Contains("unlimited rate") && Catch::Contains("as fast as the interface"));
}

}  // namespace mailsweep::engine
