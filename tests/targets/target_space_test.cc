#include "targets/target_space.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "targets/reserved.h"

namespace mailsweep::targets {
namespace {

uint32_t Ip(const char* text) { return *ParseIpv4(text); }

std::string TempFile(const std::string& content) {
  char path[] = "/tmp/mailsweep-target-space-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << content;
  return path;
}

std::vector<Target> WalkAll(const TargetSpace& space, uint64_t seed) {
  auto perm = Permutation::Create(space.size(), seed);
  REQUIRE(perm.ok());
  std::vector<Target> out;
  TargetWalk walk(space, *perm, perm->All());
  for (Target t; walk.Next(&t);) out.push_back(t);
  return out;
}

TEST_CASE("The default blocklist parses and covers the IANA special-purpose ranges") {
  IntervalSet reserved = DefaultBlocklist();
  CHECK(reserved.ranges().size() >= 12);
  for (const char* a : {"0.1.2.3", "10.9.8.7", "100.64.0.1", "127.0.0.1", "169.254.1.1",
                        "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.1.1",
                        "198.18.0.1", "198.19.255.255", "198.51.100.1", "203.0.113.9", "224.0.0.1",
                        "239.255.255.255", "240.0.0.1", "255.255.255.255"}) {
    INFO(a);
    CHECK(reserved.Contains(Ip(a)));
  }
  for (const char* a : {"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.32.0.0",
                        "198.17.255.255", "198.20.0.0", "223.255.255.255"}) {
    INFO(a);
    CHECK_FALSE(reserved.Contains(Ip(a)));
  }
}

TEST_CASE("Nothing in the default blocklist is ever produced") {
  // 192.0.0.0/8 holds five reserved blocks; walk all of it.
  TargetSpec spec{.targets = {"192.0.0.0/8"}, .ports = {110}};
  std::vector<std::string> notes;
  auto space = TargetSpace::Build(spec, &notes);
  REQUIRE(space.ok());
  const IntervalSet reserved = DefaultBlocklist();
  CHECK(space->size() == (uint64_t{1} << 24) - 256 * 3 - 65536);
  uint64_t count = 0;
  auto perm = Permutation::Create(space->size(), 5);
  TargetWalk walk(*space, *perm, perm->All());
  for (Target t; walk.Next(&t);) {
    REQUIRE_FALSE(reserved.Contains(t.address));
    ++count;
  }
  CHECK(count == space->size());
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("reserved addresses left out") != std::string::npos);
}

TEST_CASE("Allow-reserved lifts exactly the named range") {
  TargetSpec spec{.targets = {"198.18.0.0/15"}, .allow_reserved = {"198.18.0.0/16"}, .ports = {25}};
  std::vector<std::string> notes;
  auto space = TargetSpace::Build(spec, &notes);
  REQUIRE(space.ok());
  CHECK(space->address_count() == 65536);
  for (const Target& t : WalkAll(*space, 1)) {
    REQUIRE((t.address >> 16) == 0xc612);  // 198.18.x.x, never 198.19.x.x
  }
  // Lifting a range that is not reserved changes nothing and says so.
  TargetSpec plain{.targets = {"8.8.8.0/24"}, .allow_reserved = {"8.8.0.0/16"}, .ports = {25}};
  notes.clear();
  auto p = TargetSpace::Build(plain, &notes);
  REQUIRE(p.ok());
  CHECK(p->address_count() == 256);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("names no reserved addresses") != std::string::npos);
}

TEST_CASE("A user blocklist adds to the default one and lifting does not override it") {
  const std::string block = TempFile("# opt-outs\n198.18.1.0/24\n198.18.2.5\n2001:db8::/32\n");
  TargetSpec spec{.targets = {"198.18.0.0/22"},
                  .blocklist_files = {block},
                  .allow_reserved = {"198.18.0.0/15"},
                  .ports = {110, 143}};
  std::vector<std::string> notes;
  auto space = TargetSpace::Build(spec, &notes);
  unlink(block.c_str());
  REQUIRE(space.ok());
  CHECK(space->address_count() == 1024 - 256 - 1);
  std::set<std::pair<uint32_t, uint16_t>> seen;
  for (const Target& t : WalkAll(*space, 9)) {
    REQUIRE((t.address & 0xffffff00u) != Ip("198.18.1.0"));
    REQUIRE(t.address != Ip("198.18.2.5"));
    REQUIRE(seen.insert({t.address, t.port}).second);
  }
  CHECK(seen.size() == space->size());
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find(":4: skipped IPv6") != std::string::npos);
}

TEST_CASE("Every (address, port) of about a million targets with holes is visited once") {
  // A /13 minus every third /20, times 3 ports: about 1.05 million targets.
  std::string block;
  for (int i = 0; i < 128; i += 3)
    block += "8." + std::to_string(i / 16) + "." + std::to_string((i % 16) * 16) + ".0/20\n";
  const std::string file = TempFile(block);
  TargetSpec spec{.targets = {"8.0.0.0/13"}, .blocklist_files = {file}, .ports = {25, 110, 995}};
  std::vector<std::string> notes;
  auto space = TargetSpace::Build(spec, &notes);
  unlink(file.c_str());
  REQUIRE(space.ok());
  const uint64_t n = space->size();
  CHECK(n == (128 - 43) * 4096ULL * 3);
  std::vector<uint8_t> seen(space->address_count(), 0);
  uint64_t count = 0;
  for (const Target& t : WalkAll(*space, 77)) {
    const int bit = t.port == 25 ? 1 : t.port == 110 ? 2 : 4;
    // Map the address back to its index: binary search over the allowed set.
    const auto& ranges = space->allowed().ranges();
    uint64_t index = 0;
    bool found = false;
    for (const Ipv4Range& r : ranges) {
      if (r.Contains(t.address)) {
        index += t.address - r.first;
        found = true;
        break;
      }
      index += r.size();
    }
    REQUIRE(found);
    REQUIRE((seen[index] & bit) == 0);
    seen[index] |= bit;
    ++count;
  }
  CHECK(count == n);
}

TEST_CASE("Consecutive targets land in different /16s") {
  TargetSpec spec{.targets = {"11.0.0.0/8"}, .ports = {110, 143, 993, 995}};
  std::vector<std::string> notes;
  auto space = TargetSpace::Build(spec, &notes);
  REQUIRE(space.ok());
  auto perm = Permutation::Create(space->size(), 2024);
  TargetWalk walk(*space, *perm, perm->All());
  Target prev, t;
  REQUIRE(walk.Next(&prev));
  int same = 0;
  const int kPairs = 200000;
  for (int i = 0; i < kPairs; ++i) {
    REQUIRE(walk.Next(&t));
    same += (t.address >> 16) == (prev.address >> 16);
    prev = t;
  }
  // 256 /16s: chance alone puts 1 pair in 256 in the same /16; allow twice that.
  CHECK(same < kPairs / 128);
}

TEST_CASE("Build reports bad input clearly") {
  std::vector<std::string> notes;
  auto none = TargetSpace::Build(TargetSpec{.ports = {110}}, &notes);
  CHECK(none.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(none.status().message().find("no targets") != std::string_view::npos);

  // Every target given was IPv6: the message says they were skipped, not that none was given.
  auto ipv6_only = TargetSpace::Build(TargetSpec{.targets = {"::1/128"}, .ports = {110}}, &notes);
  CHECK(ipv6_only.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ipv6_only.status().message().find("skipped IPv6 entry '::1/128'") !=
        std::string_view::npos);

  auto bad = TargetSpace::Build(TargetSpec{.targets = {"1.2.3.0/33"}, .ports = {110}}, &notes);
  CHECK(bad.status().message().find("1.2.3.0/33") != std::string_view::npos);

  auto reserved_only =
      TargetSpace::Build(TargetSpec{.targets = {"10.0.0.0/8"}, .ports = {110}}, &notes);
  CHECK(reserved_only.status().message().find("no targets left") != std::string_view::npos);

  auto missing = TargetSpace::Build(
      TargetSpec{.targets = {"8.8.8.8"}, .blocklist_files = {"/nonexistent/b.txt"}, .ports = {110}},
      &notes);
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mailsweep::targets
