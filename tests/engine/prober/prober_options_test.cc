#include "engine/prober/prober_options.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mailsweep::engine {
namespace {

TEST_CASE("TargetNameCopiesItsStringAndMakesNoneOfAnEmptyOne") {
  std::string text = "mail.example.org";
  TargetName name(text);
  text[0] = 'x';
  REQUIRE(!name.empty());
  CHECK(std::string(name.get()) == "mail.example.org");
  CHECK(TargetName("").empty());
  CHECK(TargetName().get() == nullptr);
}

TEST_CASE("TargetNameMovesItsOwnershipAlong") {
  TargetName a("imap.example.org");
  const char* s = a.get();
  TargetName b = std::move(a);
  CHECK(b.get() == s);
  std::vector<ProbeTarget> targets;
  targets.push_back({1, 993, std::move(b)});
  targets.reserve(64);  // the vector moves its targets, and their names with them
  CHECK(targets[0].name.get() == s);
}

TEST_CASE("TargetNameReleaseAndAdoptHandTheStringOver") {
  TargetName a("mx.example.org");
  char* raw = a.release();
  CHECK(a.empty());
  TargetName b = TargetName::Adopt(raw);
  CHECK(std::string(b.get()) == "mx.example.org");
  CHECK(TargetName::Adopt(nullptr).empty());
}

TEST_CASE("ProberOptionsRefuseQueuesThatDoNotFitInMemory") {
  ProberOptions o;
  CHECK(o.Validate().ok());
  for (uint32_t bad : {0u, ProberOptions::kMaxQueueCapacity + 1, 4294967295u}) {
    INFO(bad);
    o.queue_capacity = bad;
    absl::Status s = o.Validate();
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("1 to 16777216 slots per thread") != absl::string_view::npos);
  }
  // 256 loops x 2^24 slots is 128 GiB of queues: more than any machine these tests run on has
  // to spare a quarter of.
  o.threads = 256;
  o.max_connections = 1000;
  o.queue_capacity = ProberOptions::kMaxQueueCapacity;
  absl::Status s = o.Validate();
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("more than a quarter of the") != absl::string_view::npos);
}

TEST_CASE("ProberOptionsRefuseMoreConnectionsThanMemoryHolds") {
  ProberOptions o;
  o.max_connections = 4294967295u;  // 128 TiB at 32 KiB each
  absl::Status s = o.Validate();
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("concurrency: 4294967295 connections") != absl::string_view::npos);
  CHECK(s.message().find("MiB this process may use") != absl::string_view::npos);
  o.max_connections = 1000;  // 31 MiB: fits anywhere these tests run
  CHECK(o.Validate().ok());
}

TEST_CASE("ProberOptionsTakeADnsNameOrAnAddressLiteralForEhlo") {
  ProberOptions o;
  for (const char* good : {"scanner-01.example.org", "localhost", "[192.0.2.7]"}) {
    INFO(good);
    o.session.ehlo_name = good;
    CHECK(o.Validate().ok());
  }
  for (std::string bad : {std::string("two words"), std::string("tab\there"),
                          std::string("ctl\x01.example"), std::string(""),
                          std::string("[192.0.2.700]"), std::string(100000, 'a')}) {
    INFO(bad.substr(0, 20));
    o.session.ehlo_name = bad;
    absl::Status s = o.Validate();
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("EHLO name") != absl::string_view::npos);
    CHECK(s.message().size() < 200);
  }
}

}  // namespace
}  // namespace mailsweep::engine
