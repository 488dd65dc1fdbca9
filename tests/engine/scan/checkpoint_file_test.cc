#include "engine/scan/checkpoint_file.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace mailsweep::engine {
namespace {

using targets::IntervalSet;
using targets::TargetSpace;

// A fresh directory's path for the checkpoint "scan.ckpt"; both slots are removed at the end.
struct Slots {
  Slots() {
    char dir_template[] = "/tmp/mailsweep-ckslots-XXXXXX";
    dir = mkdtemp(dir_template);
    path = dir + "/scan.ckpt";
    next = CheckpointSlotPath(path);
  }
  ~Slots() {
    unlink(path.c_str());
    unlink(next.c_str());
    rmdir(dir.c_str());
  }
  std::string dir, path, next;
};

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

Checkpoint At(uint64_t position) {
  Checkpoint cp = Checkpoint::For(TargetSpace(IntervalSet({{0xc6120000u, 0xc612ffffu}}), {110}),
                                  7, 1, 0, 0, 65536, "scan.msr", "id7");
  cp.files = {"scan.msr"};
  cp.position = position;
  return cp;
}

uint64_t LoadedPosition(const std::string& path) {
  auto cp = Checkpoint::Load(path);
  REQUIRE(cp.ok());
  return cp->position;
}

TEST_CASE("Checkpoint saves alternate between the two slots and the newest loads") {
  Slots s;
  auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
  REQUIRE(file.ok());
  REQUIRE(file->Save(At(100)).ok());
  CHECK(LoadedPosition(s.path) == 100);
  REQUIRE(file->Save(At(200)).ok());
  CHECK(Read(s.path).find("position 100\n") != std::string::npos);
  CHECK(Read(s.next).find("position 200\n") != std::string::npos);
  CHECK(LoadedPosition(s.path) == 200);
  REQUIRE(file->Save(At(300)).ok());
  auto loaded = Checkpoint::Load(s.path);
  REQUIRE(loaded.ok());
  CHECK(loaded->position == 300);
  CHECK(loaded->sequence == 3);
  CHECK(loaded->files == At(0).files);
  CHECK(loaded->CheckCompatible(At(0)).ok());
  // Text a person can read: the fields, the sequence, the checksum last.
  const std::string text = Read(s.path);
  CHECK(text.find("version 4\n") != std::string::npos);
  CHECK(text.find("\nsequence 3\ncrc32c ") != std::string::npos);
}

TEST_CASE("A torn or garbled newest slot falls back to the other one") {
  Slots s;
  auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
  REQUIRE(file.ok());
  REQUIRE(file->Save(At(100)).ok());    // FILE
  REQUIRE(file->Save(At(2000)).ok());   // FILE.next, the newest
  const std::string newest = Read(s.next);

  Write(s.next, newest.substr(0, newest.size() / 2));  // torn in the middle
  CHECK(LoadedPosition(s.path) == 100);

  std::string garbled = newest;
  garbled[garbled.find("position 2000") + 9] = '9';  // one digit: the checksum disagrees
  Write(s.next, garbled);
  CHECK(LoadedPosition(s.path) == 100);

  Write(s.next, newest + "position 5\n");  // old bytes left after a shorter save
  CHECK(LoadedPosition(s.path) == 100);

  Write(s.next, "");  // made but never written
  CHECK(LoadedPosition(s.path) == 100);

  Write(s.next, newest);
  CHECK(LoadedPosition(s.path) == 2000);
}

TEST_CASE("A save cut off after any byte leaves the save before it") {
  Slots s;
  auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
  REQUIRE(file.ok());
  REQUIRE(file->Save(At(65000)).ok());   // FILE (seq 1), longer than the saves that follow
  REQUIRE(file->Save(At(200)).ok());     // FILE.next (seq 2)
  // The third save goes in place over FILE: every prefix of it over the old bytes, with and
  // without the truncate that follows the write.
  const std::string old = Read(s.path);
  const std::string next = At(300).Format(s.path, 3);
  REQUIRE(next.size() < old.size());
  for (size_t k = 0; k <= next.size(); ++k) {
    const std::string written = next.substr(0, k);
    for (bool truncated : {false, true}) {
      Write(s.path, truncated ? written : written + old.substr(k));
      const bool whole = k == next.size() && truncated;
      INFO("prefix " << k << (truncated ? " truncated" : ""));
      CHECK(LoadedPosition(s.path) == (whole ? 300 : 200));
    }
  }
}

TEST_CASE("No intact slot is refused, naming both") {
  Slots s;
  auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
  REQUIRE(file.ok());
  REQUIRE(file->Save(At(100)).ok());
  REQUIRE(file->Save(At(200)).ok());
  Write(s.path, Read(s.path).substr(0, 40));
  Write(s.next, Read(s.next) + "x");
  auto loaded = Checkpoint::Load(s.path);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kDataLoss);
  const std::string message(loaded.status().message());
  CHECK(message.find("no intact checkpoint") != std::string::npos);
  CHECK(message.find(s.path + ":") != std::string::npos);
  CHECK(message.find(s.next + ":") != std::string::npos);
}

TEST_CASE("Empty slots (a scan killed before its first save) say to start again") {
  Slots s;
  REQUIRE(CheckpointFile::Open(s.path, /*fresh=*/true).ok());
  for (bool with_next : {true, false}) {
    if (!with_next) unlink(s.next.c_str());
    auto loaded = Checkpoint::Load(s.path);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(std::string(loaded.status().message()).find("start it again without --resume") !=
          std::string::npos);
  }
  unlink(s.path.c_str());
  CHECK(Checkpoint::Load(s.path).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("A version-2 checkpoint (one file, no checksum) loads and is continued") {
  Slots s;
  Write(s.path,
        "# written by rename\nversion 2\nscan_id id7\nseed 7\nshards 1\nshard 0\nports 110\n"
        "space_size 65536\nspace_fingerprint " +
            std::to_string(At(0).space_fingerprint) +
            "\nrange 0 65536\noutput scan.msr\nfile scan.msr\nposition 42\ncomplete 0\n");
  auto old = Checkpoint::Load(s.path);
  REQUIRE(old.ok());
  CHECK(old->position == 42);
  CHECK(old->sequence == 0);
  CHECK(old->files_known);
  CHECK(old->CheckCompatible(At(0)).ok());

  // A resume writing the same checkpoint keeps the old file until a newer save is intact.
  auto file = CheckpointFile::Open(s.path, /*fresh=*/false);
  REQUIRE(file.ok());
  REQUIRE(file->Save(At(500)).ok());
  CHECK(Read(s.path).find("position 42\n") != std::string::npos);
  CHECK(LoadedPosition(s.path) == 500);
  Write(s.next, Read(s.next).substr(0, 30));
  CHECK(LoadedPosition(s.path) == 42);

  // A version-2 text with a checksum line is not one.
  Write(s.path, "version 2\nrange 0 10\nposition 1\nsequence 4\n");
  Write(s.next, "");
  CHECK(Checkpoint::Load(s.path).status().message().find("version-2 checkpoint with a") !=
        std::string::npos);
}

TEST_CASE("A resume continues after the newest slot; a fresh scan empties both") {
  Slots s;
  {
    auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
    REQUIRE(file.ok());
    REQUIRE(file->Save(At(100)).ok());
    REQUIRE(file->Save(At(200)).ok());
  }
  {
    auto file = CheckpointFile::Open(s.path, /*fresh=*/false);
    REQUIRE(file.ok());
    CHECK(file->sequence() == 2);
    REQUIRE(file->Save(At(300)).ok());  // over the older slot, FILE
    CHECK(Read(s.path).find("position 300\n") != std::string::npos);
    CHECK(Read(s.next).find("position 200\n") != std::string::npos);
  }
  {
    auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
    REQUIRE(file.ok());
    CHECK(Read(s.path).empty());
    CHECK(Read(s.next).empty());
    REQUIRE(file->Save(At(7)).ok());
    auto loaded = Checkpoint::Load(s.path);
    REQUIRE(loaded.ok());
    CHECK(loaded->position == 7);
    CHECK(loaded->sequence == 1);
  }
}

TEST_CASE("A checkpoint larger than a resume reads is refused at the save, slots kept") {
  Slots s;
  auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
  REQUIRE(file.ok());
  REQUIRE(file->Save(At(100)).ok());
  Checkpoint big = At(200);
  std::vector<targets::Ipv4Range> ranges;
  for (uint32_t a = 0x0a000000u; ranges.size() < 800'000; a += 2) ranges.push_back({a, a});
  big.blocked = IntervalSet(std::move(ranges));
  absl::Status saved = file->Save(big);
  CHECK(saved.code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(saved.message()).find("800000") != std::string::npos);
  CHECK(LoadedPosition(s.path) == 100);
}

TEST_CASE("SaveBoth leaves the same checkpoint in both slots") {
  Slots s;
  auto file = CheckpointFile::Open(s.path, /*fresh=*/true);
  REQUIRE(file.ok());
  REQUIRE(file->Save(At(100)).ok());
  Checkpoint end = At(65536);
  end.complete = true;
  REQUIRE(file->SaveBoth(end).ok());
  for (const std::string& p : {s.path, s.next}) {
    CHECK(Read(p).find("position 65536\ncomplete 1\n") != std::string::npos);
  }
  CHECK(LoadedPosition(s.path) == 65536);
}

TEST_CASE("A slot that cannot be made is an error naming it") {
  auto file = CheckpointFile::Open("/nonexistent-dir/scan.ckpt", /*fresh=*/true);
  REQUIRE_FALSE(file.ok());
  CHECK(file.status().code() == absl::StatusCode::kUnavailable);
  CHECK(file.status().message().find("/nonexistent-dir/scan.ckpt") != std::string::npos);
}

}  // namespace
}  // namespace mailsweep::engine
