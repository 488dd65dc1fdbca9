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

}  // namespace
}  // namespace mailsweep::engine
