#include "engine/scan/prior_results.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "results/format/record_writer.h"

namespace mailsweep::engine {
namespace {

constexpr char kScanId[] = "5ca1ab1e";

// A directory of its own per test, removed at the end.
class ScanDir {
 public:
  ScanDir() {
    char templ[] = "/tmp/mailsweep-prior-XXXXXX";
    dir_ = mkdtemp(templ);
  }
  ~ScanDir() { std::filesystem::remove_all(dir_); }
  std::string File(const std::string& name) const { return dir_ + "/" + name; }
  std::string Output() const { return File("scan.msr"); }

 private:
  std::string dir_;
};

// The checkpoint of a scan that wrote `files` record files to dir.Output().
Checkpoint CheckpointFor(const ScanDir& dir, size_t files) {
  Checkpoint cp;
  cp.scan_id = kScanId;
  cp.seed = 7;
  cp.shards = 2;
  cp.shard = 1;
  cp.ports = {110, 143};
  cp.output = dir.Output();
  for (size_t i = 0; i < files; ++i) cp.files.push_back(FileNameOf(RecordFilePath(cp.output, i)));
  return cp;
}

results::FileHeader HeaderOf(const Checkpoint& cp) {
  results::FileHeader h;
  h.scan_id = cp.scan_id;
  h.seed = cp.seed;
  h.shards = static_cast<uint32_t>(cp.shards);
  h.shard = static_cast<uint32_t>(cp.shard);
  h.ports = cp.ports;
  return h;
}

// Writes `count` open sweep records for addresses first, first + 1, ... and a probe record for
// the first `probed` of them.
void WriteRecords(const std::string& path, const results::FileHeader& header, uint32_t first,
                  int count, int probed = 0) {
  auto writer = results::RecordFileWriter::Create(path, header);
  REQUIRE(writer.ok());
  {
    std::unique_ptr<results::RecordSink> sink = (*writer)->NewSink();
    for (int i = 0; i < count; ++i) {
      sink->Add(results::SweepRecord{.address = first + i, .port = 110});
      if (i < probed) {
        results::ProbeRecord probe;
        probe.address = first + i;
        probe.port = 110;
        sink->Add(probe);
      }
    }
    REQUIRE(sink->Flush().ok());
  }
  REQUIRE((*writer)->Close().ok());
}

void Overwrite(const std::string& path, off_t offset, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(pwrite(fd, bytes.data(), bytes.size(), offset) == static_cast<ssize_t>(bytes.size()));
  close(fd);
}

void MakeEmpty(const std::string& path) { std::ofstream(path, std::ios::trunc); }

// The refusal: kFailedPrecondition, naming `file` and saying `what`.
void CheckRefused(const absl::StatusOr<PriorResults>& r, const std::string& file,
                  const std::string& what) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(r.status().message());
  INFO(message);
  CHECK(message.find("cannot resume: " + file + ": ") != std::string::npos);
  CHECK(message.find(what) != std::string::npos);
}

TEST_CASE("Every named file is read and the next name is the run's file") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 2);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10, 4);
  WriteRecords(dir.File("scan.msr.1"), HeaderOf(cp), 200, 5, 5);
  std::string next;
  auto prior = ReadPriorResults(cp, &next);
  REQUIRE(prior.ok());
  CHECK(prior->files == std::vector<std::string>{dir.File("scan.msr"), dir.File("scan.msr.1")});
  CHECK(prior->swept.size() == 15);
  CHECK(prior->pending.size() == 6);  // open in the first file, not probed
  CHECK(prior->claimed.size() == 15);
  CHECK(prior->corruptions == 0);
  CHECK(next == dir.File("scan.msr.2"));
}

TEST_CASE("A missing first file is refused") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 2);
  WriteRecords(dir.File("scan.msr.1"), HeaderOf(cp), 200, 5);
  std::string next;
  CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr"), "missing");
}

TEST_CASE("A renamed file is refused as missing") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 2);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  WriteRecords(dir.File("scan.msr.1"), HeaderOf(cp), 200, 5);
  REQUIRE(rename(dir.File("scan.msr.1").c_str(), dir.File("scan-old.msr").c_str()) == 0);
  std::string next;
  CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr.1"), "missing");
}

TEST_CASE("A damaged header is refused, not read as an empty file") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 1);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  Overwrite(dir.File("scan.msr"), 9, std::string(16, '\x5a'));
  std::string next;
  CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr"), "header damaged: ");
}

TEST_CASE("An empty file the checkpoint names is refused") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 2);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  MakeEmpty(dir.File("scan.msr.1"));
  std::string next;
  CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr.1"), "empty");
}

TEST_CASE("A file of another scan is refused, naming both scans") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 2);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  results::FileHeader other = HeaderOf(cp);
  other.scan_id = "0ther5can";
  WriteRecords(dir.File("scan.msr.1"), other, 200, 5);
  std::string next;
  CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr.1"),
               "belongs to scan '0ther5can', the checkpoint to scan 5ca1ab1e");
}

TEST_CASE("A file with the scan id but another seed, shard or ports is refused") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 1);
  results::FileHeader h = HeaderOf(cp);
  std::string what;
  SECTION("seed") {
    h.seed = 8;
    what = "seed differs (8 in the file, 7 in the checkpoint)";
  }
  SECTION("shards") {
    h.shards = 3;
    what = "shards differs (3 in the file, 2 in the checkpoint)";
  }
  SECTION("shard") {
    h.shard = 0;
    what = "shard differs (0 in the file, 1 in the checkpoint)";
  }
  SECTION("ports") {
    h.ports = {110};
    what = "ports differs (110 in the file, 110,143 in the checkpoint)";
  }
  WriteRecords(dir.File("scan.msr"), h, 100, 10);
  std::string next;
  CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr"), what);
}

TEST_CASE("A valid file after the named ones, left by a crash, is read") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 1);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  WriteRecords(dir.File("scan.msr.1"), HeaderOf(cp), 200, 5);
  std::string next;
  auto prior = ReadPriorResults(cp, &next);
  REQUIRE(prior.ok());
  CHECK(prior->files.size() == 2);
  CHECK(prior->swept.size() == 15);
  CHECK(next == dir.File("scan.msr.2"));
}

TEST_CASE("An empty last file after the named ones is written over") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 1);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  MakeEmpty(dir.File("scan.msr.1"));
  std::string next;
  auto prior = ReadPriorResults(cp, &next);
  REQUIRE(prior.ok());
  CHECK(prior->files.size() == 1);
  CHECK(next == dir.File("scan.msr.1"));
}

TEST_CASE("An unnamed file after the named ones must still be the scan's and intact") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 1);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  std::string next;
  SECTION("damaged header") {
    WriteRecords(dir.File("scan.msr.1"), HeaderOf(cp), 200, 5);
    Overwrite(dir.File("scan.msr.1"), 0, std::string(8, '\0'));
    CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr.1"), "header damaged");
  }
  SECTION("another scan") {
    results::FileHeader other = HeaderOf(cp);
    other.scan_id = "beef";
    WriteRecords(dir.File("scan.msr.1"), other, 200, 5);
    CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr.1"), "belongs to scan");
  }
  SECTION("an empty file that is not the last") {
    MakeEmpty(dir.File("scan.msr.1"));
    WriteRecords(dir.File("scan.msr.2"), HeaderOf(cp), 200, 5);
    CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr.2"),
                 "scan.msr.1 before it is empty");
  }
}

TEST_CASE("A gap in the numbering is refused, naming the file beyond it") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 1);
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
  WriteRecords(dir.File("scan.msr.3"), HeaderOf(cp), 200, 5);
  std::string next;
  CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr.3"),
               "scan.msr.1 before it is missing: a gap");
}

TEST_CASE("A version-1 checkpoint reads the files that exist, but not without the first") {
  ScanDir dir;
  Checkpoint cp = CheckpointFor(dir, 0);
  cp.files_known = false;
  std::string next;
  SECTION("all there") {
    WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
    WriteRecords(dir.File("scan.msr.1"), HeaderOf(cp), 200, 5);
    auto prior = ReadPriorResults(cp, &next);
    REQUIRE(prior.ok());
    CHECK(prior->swept.size() == 15);
    CHECK(next == dir.File("scan.msr.2"));
  }
  SECTION("first missing") {
    WriteRecords(dir.File("scan.msr.1"), HeaderOf(cp), 200, 5);
    CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr"), "missing");
  }
  SECTION("first empty") {
    MakeEmpty(dir.File("scan.msr"));
    CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr"), "empty");
  }
  SECTION("first damaged") {
    WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 100, 10);
    Overwrite(dir.File("scan.msr"), 9, std::string(16, '\x5a'));
    CheckRefused(ReadPriorResults(cp, &next), dir.File("scan.msr"), "header damaged");
  }
}

TEST_CASE("Damage inside a named file is counted and described, the rest still read") {
  ScanDir dir;
  const Checkpoint cp = CheckpointFor(dir, 1);
  // Enough records for several 32 KiB blocks; damage the second block.
  WriteRecords(dir.File("scan.msr"), HeaderOf(cp), 1000, 20000);
  Overwrite(dir.File("scan.msr"), 32 * 1024 + 100, std::string(64, '\x33'));
  std::string next;
  auto prior = ReadPriorResults(cp, &next);
  REQUIRE(prior.ok());
  CHECK(prior->corruptions >= 1);
  CHECK(prior->dropped_bytes > 0);
  CHECK(prior->swept.size() < 20000);
  CHECK(prior->swept.size() > 0);
  REQUIRE_FALSE(prior->corruption_notes.empty());
  CHECK(prior->corruption_notes[0].find(dir.File("scan.msr") + " at offset ") == 0);
}

}  // namespace
}  // namespace mailsweep::engine
