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

// Writes `count` open sweep records for addresses first, first + 1, ... and a probe record for
// the first `probed` of them.
void WriteRecords(const std::string& path, const results::FileHeader& header, uint32_t first,
                  int count, int probed) {
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

// A scan in a directory of its own (removed at the end) whose checkpoint names `named` record
// files: scan.msr, scan.msr.1, ... The test writes, damages and removes them, then Read()s.
class ResumeDir {
 public:
  explicit ResumeDir(size_t named) {
    char templ[] = "/tmp/mailsweep-prior-XXXXXX";
    dir_ = mkdtemp(templ);
    cp.scan_id = "5ca1ab1e";
    cp.seed = 7;
    cp.shards = 2;
    cp.shard = 1;
    cp.ports = {110, 143};
    cp.output = Path("scan.msr");
    for (size_t i = 0; i < named; ++i) cp.files.push_back(FileNameOf(RecordFilePath(cp.output, i)));
  }
  ~ResumeDir() { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // The header the scan's files carry.
  results::FileHeader Header() const {
    results::FileHeader h;
    h.scan_id = cp.scan_id;
    h.seed = cp.seed;
    h.shards = static_cast<uint32_t>(cp.shards);
    h.shard = static_cast<uint32_t>(cp.shard);
    h.ports = cp.ports;
    return h;
  }
  void Write(const std::string& name, uint32_t first, int count, int probed = 0) const {
    WriteRecords(Path(name), Header(), first, count, probed);
  }
  void Overwrite(const std::string& name, off_t offset, const std::string& bytes) const {
    const int fd = open(Path(name).c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    REQUIRE(pwrite(fd, bytes.data(), bytes.size(), offset) == static_cast<ssize_t>(bytes.size()));
    close(fd);
  }
  void MakeEmpty(const std::string& name) const { std::ofstream(Path(name), std::ios::trunc); }

  absl::StatusOr<PriorResults> Read() { return ReadPriorResults(cp, &next); }

  // The refusal: kFailedPrecondition, naming the file `name` and saying `what`.
  void CheckRefused(const std::string& name, const std::string& what) {
    absl::StatusOr<PriorResults> r = Read();
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kFailedPrecondition);
    const std::string message(r.status().message());
    INFO(message);
    CHECK(message.find("cannot resume: " + Path(name) + ": ") != std::string::npos);
    CHECK(message.find(what) != std::string::npos);
  }

  Checkpoint cp;
  std::string next;  // Read()'s *next_file

 private:
  std::string dir_;
};

TEST_CASE("Every named file is read and the next name is the run's file") {
  ResumeDir d(2);
  d.Write("scan.msr", 100, 10, 4);
  d.Write("scan.msr.1", 200, 5, 5);
  auto prior = d.Read();
  REQUIRE(prior.ok());
  CHECK(prior->files == std::vector<std::string>{d.Path("scan.msr"), d.Path("scan.msr.1")});
  CHECK(prior->swept.size() == 15);
  CHECK(prior->pending.size() == 6);  // open in the first file, not probed
  CHECK(prior->claimed.size() == 15);
  CHECK(prior->corruptions == 0);
  CHECK(d.next == d.Path("scan.msr.2"));
}

TEST_CASE("A missing first file is refused") {
  ResumeDir d(2);
  d.Write("scan.msr.1", 200, 5);
  d.CheckRefused("scan.msr", "missing");
}

TEST_CASE("A renamed file is refused as missing") {
  ResumeDir d(2);
  d.Write("scan.msr", 100, 10);
  d.Write("scan.msr.1", 200, 5);
  REQUIRE(rename(d.Path("scan.msr.1").c_str(), d.Path("scan-old.msr").c_str()) == 0);
  d.CheckRefused("scan.msr.1", "missing");
}

TEST_CASE("A damaged header is refused, not read as an empty file") {
  ResumeDir d(1);
  d.Write("scan.msr", 100, 10);
  d.Overwrite("scan.msr", 9, std::string(16, '\x5a'));
  d.CheckRefused("scan.msr", "header damaged: ");
}

TEST_CASE("An empty file the checkpoint names is refused") {
  ResumeDir d(2);
  d.Write("scan.msr", 100, 10);
  d.MakeEmpty("scan.msr.1");
  d.CheckRefused("scan.msr.1", "empty");
}

TEST_CASE("A file of another scan is refused, naming both scans") {
  ResumeDir d(2);
  d.Write("scan.msr", 100, 10);
  results::FileHeader other = d.Header();
  other.scan_id = "0ther5can";
  WriteRecords(d.Path("scan.msr.1"), other, 200, 5, 0);
  d.CheckRefused("scan.msr.1", "belongs to scan '0ther5can', the checkpoint to scan 5ca1ab1e");
}

TEST_CASE("A file with the scan id but another seed, shard or ports is refused") {
  ResumeDir d(1);
  results::FileHeader h = d.Header();
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
  WriteRecords(d.Path("scan.msr"), h, 100, 10, 0);
  d.CheckRefused("scan.msr", what);
}

TEST_CASE("A valid file after the named ones, left by a crash, is read") {
  ResumeDir d(1);
  d.Write("scan.msr", 100, 10);
  d.Write("scan.msr.1", 200, 5);
  auto prior = d.Read();
  REQUIRE(prior.ok());
  CHECK(prior->files.size() == 2);
  CHECK(prior->swept.size() == 15);
  CHECK(d.next == d.Path("scan.msr.2"));
}

TEST_CASE("An empty last file after the named ones is written over") {
  ResumeDir d(1);
  d.Write("scan.msr", 100, 10);
  d.MakeEmpty("scan.msr.1");
  auto prior = d.Read();
  REQUIRE(prior.ok());
  CHECK(prior->files.size() == 1);
  CHECK(d.next == d.Path("scan.msr.1"));
}

TEST_CASE("An unnamed file after the named ones must still be the scan's and intact") {
  ResumeDir d(1);
  d.Write("scan.msr", 100, 10);
  SECTION("damaged header") {
    d.Write("scan.msr.1", 200, 5);
    d.Overwrite("scan.msr.1", 0, std::string(8, '\0'));
    d.CheckRefused("scan.msr.1", "header damaged");
  }
  SECTION("another scan") {
    results::FileHeader other = d.Header();
    other.scan_id = "beef";
    WriteRecords(d.Path("scan.msr.1"), other, 200, 5, 0);
    d.CheckRefused("scan.msr.1", "belongs to scan");
  }
  SECTION("an empty file that is not the last") {
    d.MakeEmpty("scan.msr.1");
    d.Write("scan.msr.2", 200, 5);
    d.CheckRefused("scan.msr.2", "scan.msr.1 before it is empty");
  }
}

TEST_CASE("A gap in the numbering is refused, naming the file beyond it") {
  ResumeDir d(1);
  d.Write("scan.msr", 100, 10);
  d.Write("scan.msr.3", 200, 5);
  d.CheckRefused("scan.msr.3", "scan.msr.1 before it is missing: a gap");
}

TEST_CASE("A version-1 checkpoint reads the files that exist, but not without the first") {
  ResumeDir d(0);
  d.cp.files_known = false;
  SECTION("all there") {
    d.Write("scan.msr", 100, 10);
    d.Write("scan.msr.1", 200, 5);
    auto prior = d.Read();
    REQUIRE(prior.ok());
    CHECK(prior->swept.size() == 15);
    CHECK(d.next == d.Path("scan.msr.2"));
  }
  SECTION("first missing") {
    d.Write("scan.msr.1", 200, 5);
    d.CheckRefused("scan.msr", "missing");
  }
  SECTION("first empty") {
    d.MakeEmpty("scan.msr");
    d.CheckRefused("scan.msr", "empty");
  }
  SECTION("first damaged") {
    d.Write("scan.msr", 100, 10);
    d.Overwrite("scan.msr", 9, std::string(16, '\x5a'));
    d.CheckRefused("scan.msr", "header damaged");
  }
}

TEST_CASE("Damage inside a named file is counted and described, the rest still read") {
  ResumeDir d(1);
  // Enough records for several 32 KiB blocks; damage the second block.
  d.Write("scan.msr", 1000, 20000);
  d.Overwrite("scan.msr", 32 * 1024 + 100, std::string(64, '\x33'));
  auto prior = d.Read();
  REQUIRE(prior.ok());
  CHECK(prior->corruptions >= 1);
  CHECK(prior->dropped_bytes > 0);
  CHECK(prior->swept.size() < 20000);
  CHECK(prior->swept.size() > 0);
  REQUIRE_FALSE(prior->corruption_notes.empty());
  CHECK(prior->corruption_notes[0].find(d.Path("scan.msr") + " at offset ") == 0);
}

}  // namespace
}  // namespace mailsweep::engine
