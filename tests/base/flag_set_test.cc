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
