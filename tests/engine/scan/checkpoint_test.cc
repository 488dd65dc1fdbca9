#include "engine/scan/checkpoint.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

namespace mailsweep::engine {
namespace {

using targets::IntervalSet;
using targets::TargetSpace;

std::string TempPath() {
  char path[] = "/tmp/mailsweep-checkpoint-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  return path;
}

// One slot's text, as CheckpointFile writes it (engine/scan/checkpoint_file_test.cc tests the
// slots).
bool Save(const Checkpoint& cp, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << cp.Format(path, 1);
  return static_cast<bool>(out);
}

TargetSpace Space(uint32_t last, std::vector<uint16_t> ports) {
  return TargetSpace(IntervalSet({{0xc6120000u, last}}), std::move(ports));
}

TEST_CASE("A checkpoint saves and loads every field") {
  Checkpoint cp =
      Checkpoint::For(Space(0xc612ffffu, {110, 143}), 77, 3, 1, 1000, 2000, "scan.msr", "abc123");
  cp.position = 1500;
  cp.complete = false;
  const std::string path = TempPath();
  REQUIRE(Save(cp, path));
  auto loaded = Checkpoint::Load(path);
  unlink(path.c_str());
  REQUIRE(loaded.ok());
  CHECK(loaded->scan_id == "abc123");
  CHECK(loaded->seed == 77);
  CHECK(loaded->shards == 3);
  CHECK(loaded->shard == 1);
  CHECK(loaded->ports == std::vector<uint16_t>{110, 143});
  CHECK(loaded->space_size == 65536 * 2);
  CHECK(loaded->space_fingerprint == cp.space_fingerprint);
  CHECK(loaded->range_begin == 1000);
  CHECK(loaded->range_end == 2000);
  CHECK(loaded->output == "scan.msr");
  CHECK(loaded->position == 1500);
  CHECK_FALSE(loaded->complete);
  CHECK(loaded->CheckCompatible(cp).ok());
}

TEST_CASE("A checkpoint names its record files in order, and only in order") {
  Checkpoint cp = Checkpoint::For(Space(0xc612ffffu, {110}), 1, 1, 0, 0, 10, "out/s.msr", "x");
  cp.files = {"s.msr", "s.msr.1", "s.msr.2"};
  const std::string path = TempPath();
  REQUIRE(Save(cp, path));
  auto loaded = Checkpoint::Load(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->files_known);
  CHECK(loaded->files == cp.files);

  cp.files = {"s.msr", "s.msr.2"};  // a list with a hole is not one a scan wrote
  REQUIRE(Save(cp, path));
  auto holed = Checkpoint::Load(path);
  REQUIRE_FALSE(holed.ok());
  CHECK(holed.status().code() == absl::StatusCode::kDataLoss);
  CHECK(holed.status().message().find("record file 2 is 's.msr.2', expected 's.msr.1'") !=
        absl::string_view::npos);

  cp.files = {"../s.msr"};
  REQUIRE(Save(cp, path));
  CHECK(Checkpoint::Load(path).status().message().find("bad file name") != absl::string_view::npos);
  unlink(path.c_str());
}

TEST_CASE("A version-1 checkpoint still loads, without a file list") {
  const std::string path = TempPath();
  std::ofstream(path) << "version 1\nscan_id ab\nseed 3\nrange 0 10\noutput s.msr\nposition 4\n";
  auto loaded = Checkpoint::Load(path);
  REQUIRE(loaded.ok());
  CHECK_FALSE(loaded->files_known);
  CHECK(loaded->files.empty());
  CHECK(loaded->position == 4);

  std::ofstream(path) << "version 1\nrange 0 10\noutput s.msr\nfile s.msr\nposition 4\n";
  CHECK(Checkpoint::Load(path).status().message().find("version-1 checkpoint with file lines") !=
        absl::string_view::npos);
  unlink(path.c_str());
}

TEST_CASE("The record files of a scan are OUTPUT, OUTPUT.1, ...") {
  CHECK(RecordFilePath("d/s.msr", 0) == "d/s.msr");
  CHECK(RecordFilePath("d/s.msr", 2) == "d/s.msr.2");
  CHECK(FileNameOf("d/e/s.msr.2") == "s.msr.2");
  CHECK(FileNameOf("s.msr") == "s.msr");
}

TEST_CASE("Resuming with other settings is refused, naming each difference") {
  Checkpoint cp = Checkpoint::For(Space(0xc612ffffu, {110}), 1, 1, 0, 0, 10, "a.msr", "x");
  Checkpoint other_seed = Checkpoint::For(Space(0xc612ffffu, {110}), 2, 1, 0, 0, 10, "a.msr", "x");
  absl::Status s = cp.CheckCompatible(other_seed);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("--seed was 1, now 2") != absl::string_view::npos);

  Checkpoint other_ports = Checkpoint::For(Space(0xc612ffffu, {143}), 1, 1, 0, 0, 10, "a.msr", "x");
  CHECK(cp.CheckCompatible(other_ports).message().find("--ports") != absl::string_view::npos);

  // Same size, different addresses: caught by the fingerprint.
  Checkpoint shifted = Checkpoint::For(
      TargetSpace(IntervalSet({{0xc6130000u, 0xc613ffffu}}), {110}), 1, 1, 0, 0, 10, "a.msr", "x");
  CHECK(cp.CheckCompatible(shifted).message().find("targets or blocklists differ") !=
        absl::string_view::npos);

  Checkpoint other_shard = Checkpoint::For(Space(0xc612ffffu, {110}), 1, 2, 1, 0, 10, "a.msr", "x");
  CHECK_FALSE(cp.CheckCompatible(other_shard).ok());
}

TEST_CASE("Malformed and missing checkpoints are reported with path and line") {
  CHECK(Checkpoint::Load("/nonexistent/cp").status().code() == absl::StatusCode::kNotFound);
  const std::string path = TempPath();
  std::ofstream(path) << "version 1\nseed 5\nposition banana\n";
  auto bad = Checkpoint::Load(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kDataLoss);
  CHECK(bad.status().message().find(path + ":3:") != absl::string_view::npos);

  std::ofstream(path) << "version 1\nseed 5\n";
  CHECK(Checkpoint::Load(path).status().message().find("incomplete") != absl::string_view::npos);

  std::ofstream(path) << "version 9\n";
  CHECK(Checkpoint::Load(path).status().message().find("unsupported version") !=
        absl::string_view::npos);
  unlink(path.c_str());
}

TEST_CASE("A junk checkpoint is refused without echoing its bytes; a huge one is not read") {
  const std::string path = TempPath();
  std::string junk = "\x7f" "ELF\x02\x01\x01";
  junk += std::string(5000, '\x90');
  std::ofstream(path, std::ios::binary) << junk;
  auto bad = Checkpoint::Load(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kDataLoss);
  const std::string message(bad.status().message());
  CHECK(message.size() < 400);
  for (char c : message) CHECK((c >= 0x20 && c < 0x7f));  // printable only

  std::ofstream(path, std::ios::binary | std::ios::trunc)
      << std::string(Checkpoint::kMaxBytes + 1, '#');
  auto huge = Checkpoint::Load(path);
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().message().find("larger than") != absl::string_view::npos);
  unlink(path.c_str());

  CHECK_FALSE(Checkpoint::Load("/tmp").ok());  // a directory
}

TEST_CASE("A checkpoint records what the runs left out, range by range") {
  // The lab's space with a blocklist of many small holes, as a long opt-out list makes.
  std::vector<targets::Ipv4Range> holes;
  for (uint32_t i = 0; i < 5000; ++i) holes.push_back({0xc6120000u + 4 * i, 0xc6120000u + 4 * i});
  const IntervalSet blocked(holes);
  std::vector<std::string> notes;
  TargetSpace space = *TargetSpace::BuildWithBlocked(
      {.targets = {"198.18.0.0/15"}, .ports = {110}}, blocked, &notes);
  CHECK(space.address_count() == 131072 - 5000);
  Checkpoint cp = Checkpoint::For(space, 1, 1, 0, 0, space.size(), "a.msr", "x");
  CHECK(cp.blocked == blocked);
  cp.excluded = IntervalSet({{0xc6130000u, 0xc61300ffu}, {0xc6130200u, 0xc6130200u}});
  const std::string path = TempPath();
  REQUIRE(Save(cp, path));
  auto loaded = Checkpoint::Load(path);
  unlink(path.c_str());
  REQUIRE(loaded.ok());
  CHECK(loaded->blocked_known);
  CHECK(loaded->blocked == cp.blocked);
  CHECK(loaded->excluded == cp.excluded);
  CHECK(loaded->CheckCompatible(cp).ok());
}

TEST_CASE("A resume's blocklist may grow but must hold what the runs left out") {
  Checkpoint cp = Checkpoint::For(Space(0xc612ffffu, {110}), 1, 1, 0, 0, 10, "a.msr", "x");
  cp.blocked = IntervalSet({{0xc6120100u, 0xc61201ffu}});
  cp.excluded = IntervalSet({{0xc6120500u, 0xc6120503u}});
  const IntervalSet both = cp.blocked.Union(cp.excluded);
  CHECK(cp.CheckBlocklist(both).ok());
  CHECK(cp.CheckBlocklist(both.Union(IntervalSet({{0xc6120900u, 0xc61209ffu}}))).ok());

  // The reload's range gone: the resume would probe 4 addresses the first run did not.
  absl::Status s = cp.CheckBlocklist(cp.blocked);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("4 address(es)") != absl::string_view::npos);
  CHECK(s.message().find("198.18.5.0/30") != absl::string_view::npos);
  // Part of the start's blocklist gone.
  CHECK_FALSE(cp.CheckBlocklist(IntervalSet({{0xc6120180u, 0xc6120503u}})).ok());
}

TEST_CASE("An older checkpoint has no record of the blocklist and none is asked of it") {
  const std::string path = TempPath();
  std::ofstream(path) << "version 2\nscan_id ab\nseed 3\nrange 0 10\noutput s.msr\nposition 4\n";
  auto old = Checkpoint::Load(path);
  REQUIRE(old.ok());
  CHECK_FALSE(old->blocked_known);
  CHECK(old->CheckBlocklist(IntervalSet()).ok());  // the spaces are compared instead

  std::ofstream(path) << "version 2\nrange 0 10\noutput s.msr\nposition 4\nblocked 1.2.3.4\n";
  CHECK(Checkpoint::Load(path).status().message().find("with blocked or excluded lines") !=
        absl::string_view::npos);
  std::ofstream(path) << "version 2\nrange 0 10\nposition 4\nexcluded 1.2.3.999\n";
  CHECK(Checkpoint::Load(path).status().message().find("bad excluded range") !=
        absl::string_view::npos);
  unlink(path.c_str());
}

}  // namespace
}  // namespace mailsweep::engine
