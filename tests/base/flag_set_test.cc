#include "base/flag_set.h"

#include <catch2/catch.hpp>

namespace mailsweep {
namespace {

struct Parsed {
  absl::Status status;
  std::vector<std::string> positional;
};

struct Fixture {
  bool quiet = false;
  std::string output = "-";
  uint64_t rate = 10000;
  std::vector<std::string> blocklists;
  FlagSet flags{"tool", "[flags] ARG...", "A test tool."};

  Fixture() {
    flags.Bool("-q,--quiet", "say less", &quiet);
    flags.String("-o,--output", "FILE", "output file", &output);
    flags.Uint64("-r,--rate", "PPS", "packets per second", &rate);
    flags.StringList("-b,--blocklist-file", "FILE", "blocklist", &blocklists);
  }

  Parsed Parse(std::vector<const char*> args) {
    args.insert(args.begin(), "tool");
    Parsed p;
    p.status = flags.Parse(static_cast<int>(args.size()), args.data(), &p.positional);
    return p;
  }
};

TEST_CASE("FlagSet parses short, long, joined and separated values") {
  Fixture f;
  Parsed p =
      f.Parse({"-q", "--output=x.bin", "-r5000", "-b", "a", "--blocklist-file", "b", "1.2.3.0/24"});
  REQUIRE(p.status.ok());
  CHECK(f.quiet);
  CHECK(f.output == "x.bin");
  CHECK(f.rate == 5000);
  CHECK(f.blocklists == std::vector<std::string>{"a", "b"});
  CHECK(p.positional == std::vector<std::string>{"1.2.3.0/24"});
  CHECK(f.flags.WasSet("--rate"));
  CHECK_FALSE(f.flags.WasSet("--blocklist"));  // not a name of any flag
}

TEST_CASE("FlagSet reports unknown flags, missing and malformed values by name") {
  Fixture f;
  Parsed unknown = f.Parse({"--bogus"});
  CHECK(unknown.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(unknown.status.message().find("--bogus") != std::string_view::npos);

  Fixture g;
  Parsed missing = g.Parse({"-o"});
  CHECK(missing.status.message().find("needs a value") != std::string_view::npos);

  Fixture h;
  Parsed bad = h.Parse({"--rate", "fast"});
  CHECK(bad.status.message().find("--rate") != std::string_view::npos);
  CHECK(bad.status.message().find("fast") != std::string_view::npos);
}

TEST_CASE("FlagSet numbers: finite and within their range, or refused naming the range") {
  for (const char* bad : {"-5", "nan", "NaN", "inf", "-inf", "1e300", "1000001", "2.5x", ""}) {
    INFO(bad);
    double cooldown = 8;
    FlagSet flags("tool", "", "");
    flags.Double("-c,--cooldown", "SECONDS", "wait", &cooldown);
    std::vector<const char*> argv = {"tool", "--cooldown", bad};
    std::vector<std::string> positional;
    absl::Status s = flags.Parse(3, argv.data(), &positional);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("from 0 to 1000000") != std::string_view::npos);
    CHECK(cooldown == 8);
  }
  double spacing = 0;
  FlagSet flags("tool", "", "");
  flags.Double("--spacing", "SECONDS", "gap", &spacing, 0.001, 60);
  std::vector<const char*> argv = {"tool", "--spacing", "0.5"};
  std::vector<std::string> positional;
  REQUIRE(flags.Parse(3, argv.data(), &positional).ok());
  CHECK(spacing == 0.5);
  argv[2] = "0";
  absl::Status s = flags.Parse(3, argv.data(), &positional);
  CHECK(s.message().find("from 0.001 to 60") != std::string_view::npos);
}

TEST_CASE("FlagSet keeps everything after -- positional and documents every flag") {
  Fixture f;
  Parsed p = f.Parse({"--", "-q", "x"});
  REQUIRE(p.status.ok());
  CHECK_FALSE(f.quiet);
  CHECK(p.positional == std::vector<std::string>{"-q", "x"});
  const std::string help = f.flags.Help();
  for (const char* name :
       {"--quiet", "--output", "--rate", "--blocklist-file", "[default: 10000]"}) {
    CHECK(help.find(name) != std::string::npos);
  }
  Fixture g;
  REQUIRE(g.Parse({"--help"}).status.ok());
  CHECK(g.flags.help_requested());
}

}  // namespace
}  // namespace mailsweep
