// Edge cases of the record files in leveldb's spirit (db/log_test.cc): each names the case and
// asserts the exact outcome (records back, corruption reports, status codes).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "results/format/coding.h"
#include "results/format/crc32c.h"
#include "results/format/log_format.h"
#include "results/format/chunk_encoder.h"
#include "results/format/chunk_format.h"
#include "results/format/record_reader.h"
#include "results/format/record_writer.h"
#include "tests/results/format/record_file_util.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::Expected;
using testing::Layout;
using testing::ReadAll;
using testing::ChunkBody;
using testing::Reseal;
using testing::ResealChunk;
using testing::Sweep;
using testing::TempDir;
using testing::TestHeader;
using testing::WriteAll;
using testing::WriteOnePerChunk;

TEST_CASE("record file: EmptyFileIsDataLoss") {
  TempDir dir;
  WriteAll(dir.File("empty.msr"), "");
  auto c = ReadFileContents(dir.File("empty.msr"));
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(c.status().message()).find("empty file") != std::string::npos);
}

TEST_CASE("record file: HeaderOnlyFileReadsBackTheHeaderAndNoRecords") {
  TempDir dir;
  auto w = RecordFileWriter::Create(dir.File("h.msr"), TestHeader());
  REQUIRE(w.ok());
  REQUIRE((*w)->Close().ok());
  auto c = ReadFileContents(dir.File("h.msr"));
  REQUIRE(c.ok());
  FileHeader expected = TestHeader();
  expected.format_version = kFormatVersion;
  CHECK(c->header.file_id != 0);  // random, from the writer
  expected.file_id = c->header.file_id;
  CHECK(c->header == expected);
  CHECK(c->sweeps.empty());
  CHECK(c->probes.empty());
  CHECK(c->corruptions.empty());
}

TEST_CASE("record file: OneRecordRoundTrips") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("one.msr"), 1);
  auto c = ReadFileContents(dir.File("one.msr"));
  REQUIRE(c.ok());
  REQUIRE(c->sweeps.size() == 1);
  CHECK(c->sweeps[0] == l.records[0]);
  CHECK(c->stats.corruptions == 0);
  CHECK(c->stats.torn_tail_bytes == 0);
}

TEST_CASE("record file: ChunkSpanningFourBlocksRoundTrips") {
  TempDir dir;
  ProbeRecord p;
  p.address = 0xc6120001;
  p.port = 143;
  p.protocol = Protocol::kImap;
  p.outcome = ProbeOutcome::kPlaintextOnly;
  p.banner = std::string(3 * log::kBlockSize + 123, 'x');
  {
    auto w = RecordFileWriter::Create(dir.File("big.msr"), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    sink->Add(Sweep(1));
    sink->Add(p);
    sink->Add(Sweep(2));
    sink.reset();
    REQUIRE((*w)->Close().ok());
  }
  CHECK(ReadAll(dir.File("big.msr")).size() > 3 * log::kBlockSize);
  auto c = ReadFileContents(dir.File("big.msr"));
  REQUIRE(c.ok());
  REQUIRE(c->probes.size() == 1);
  CHECK(c->probes[0] == p);
  CHECK(c->sweeps == std::vector<SweepRecord>{Sweep(1), Sweep(2)});
  CHECK(c->corruptions.empty());
}

TEST_CASE("record file: ManyChunksAcrossBlockBoundariesRoundTrip") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("many.msr"), 8000);
  CHECK(l.chunks.back().second > 3 * log::kBlockSize);
  auto c = ReadFileContents(dir.File("many.msr"));
  REQUIRE(c.ok());
  CHECK(c->sweeps == l.records);
  CHECK(c->corruptions.empty());
}

TEST_CASE("record file: TruncatedTailIsReportedAsTornAndEarlierRecordsSurvive") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("t.msr"), 100);
  std::string data = ReadAll(dir.File("t.msr"));
  data.resize(l.chunks.back().second - 3);  // cuts the last records chunk's fragment
  auto c = ReadBufferContents("t.msr", data);
  REQUIRE(c.ok());
  std::vector<SweepRecord> expected(l.records.begin(), l.records.end() - 1);
  CHECK(c->sweeps == expected);
  REQUIRE(c->corruptions.size() == 2);
  CHECK(c->corruptions[0].torn_tail);
  CHECK(c->corruptions[0].kind == Damage::kTornTail);
  CHECK(c->corruptions[0].offset == l.chunks.back().first);
  CHECK(c->corruptions[0].bytes == l.chunks.back().second - l.chunks.back().first - 3);
  // Without its end record the file says it was not closed; neither counts as corruption.
  CHECK(c->corruptions[1].torn_tail);
  CHECK(c->corruptions[1].kind == Damage::kNotClosed);
  CHECK(c->corruptions[1].offset == data.size());
  CHECK(c->stats.corruptions == 0);
}

TEST_CASE("record file: TruncatedInsideAFragmentHeaderIsTorn") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("t.msr"), 10);
  std::string data = ReadAll(dir.File("t.msr"));
  data.resize(l.chunks.back().first + 3);
  auto c = ReadBufferContents("t.msr", data);
  REQUIRE(c.ok());
  CHECK(c->sweeps.size() == 9);
  REQUIRE(c->corruptions.size() == 2);
  CHECK(c->corruptions[0].torn_tail);
  CHECK(c->corruptions[0].bytes == 3);
  CHECK(c->corruptions[1].kind == Damage::kNotClosed);
}

TEST_CASE("record file: ZeroFilledTailIsTorn") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("z.msr"), 10);
  std::string data = ReadAll(dir.File("z.msr"));
  data.append(5000, '\0');
  auto c = ReadBufferContents("z.msr", data);
  REQUIRE(c.ok());
  CHECK(c->sweeps == l.records);
  REQUIRE(c->corruptions.size() == 1);
  CHECK(c->corruptions[0].torn_tail);
  CHECK(c->corruptions[0].bytes == 5000);
}

TEST_CASE("record file: FlippedBitDropsTheRestOfItsBlockOnly") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("f.msr"), 8000);
  std::string data = ReadAll(dir.File("f.msr"));
  // A chunk entirely inside block 1.
  size_t victim = 0;
  while (!(l.chunks[victim].first > log::kBlockSize + 1000)) ++victim;
  uint64_t fragment_start = l.chunks[victim].first;
  data[fragment_start + 9] ^= 0x10;
  auto c = ReadBufferContents("f.msr", data);
  REQUIRE(c.ok());
  const uint64_t block_end = 2 * log::kBlockSize;
  CHECK(c->sweeps ==
        Expected(l, [&](uint64_t s, uint64_t) { return s >= fragment_start && s < block_end; }));
  REQUIRE(c->corruptions.size() >= 1);
  CHECK(c->corruptions[0].offset == fragment_start);
  CHECK(c->corruptions[0].bytes == block_end - fragment_start);
  CHECK(c->corruptions[0].reason == "checksum mismatch");
  CHECK_FALSE(c->corruptions[0].torn_tail);
}

TEST_CASE("record file: ZeroedBlockDropsTheChunksTouchingIt") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("zb.msr"), 8000);
  std::string data = ReadAll(dir.File("zb.msr"));
  REQUIRE(data.size() > 3 * log::kBlockSize);
  std::fill(data.begin() + log::kBlockSize, data.begin() + 2 * log::kBlockSize, '\0');
  auto c = ReadBufferContents("zb.msr", data);
  REQUIRE(c.ok());
  CHECK(c->sweeps == Expected(l, [](uint64_t s, uint64_t e) {
          return s < 2 * log::kBlockSize && e > log::kBlockSize;
        }));
  REQUIRE_FALSE(c->corruptions.empty());
  bool saw_zeroed = false;
  for (const Corruption& k : c->corruptions) {
    CHECK_FALSE(k.torn_tail);
    if (k.reason == "zeroed bytes") {
      saw_zeroed = true;
      CHECK(k.offset == log::kBlockSize);
      CHECK(k.bytes == log::kBlockSize);
    }
  }
  CHECK(saw_zeroed);
}

TEST_CASE("record file: WrongVersionZeroIsDataLoss") {
  TempDir dir;
  WriteOnePerChunk(dir.File("v.msr"), 3);
  std::string data = ReadAll(dir.File("v.msr"));
  // fragment header (7) + chunk type (1) + magic (8) -> format version
  EncodeFixed32(data.data() + 7 + 1 + 8, 0);
  Reseal(&data, 0);
  auto c = ReadBufferContents("v.msr", data);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(c.status().message()).find("version 0") != std::string::npos);
}

TEST_CASE("record file: FileFromTheFutureIsUnimplemented") {
  TempDir dir;
  WriteOnePerChunk(dir.File("v.msr"), 3);
  std::string data = ReadAll(dir.File("v.msr"));
  EncodeFixed32(data.data() + 7 + 1 + 8, kFormatVersion + 1);
  Reseal(&data, 0);
  auto c = ReadBufferContents("v.msr", data);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kUnimplemented);
  CHECK(std::string(c.status().message()).find("newer") != std::string::npos);
}

// Files of the older versions still read. data/format-v2.msr was written by the version 2
// writer (commit 32ffd28) with the two records below: version 2 added the probe record's
// optional domain; version 3 moved the summary fields ahead of a length-prefixed tail. A
// version 1 file is that file with the header saying 1 (version 2 wrote records without a
// domain byte for byte as version 1 did).
TEST_CASE("record file: Versions1And2StillRead") {
  ProbeRecord a, b;
  a.address = 0xc6120005u;
  a.port = 110;
  a.protocol = Protocol::kPop3;
  a.outcome = ProbeOutcome::kStartTlsOk;
  a.banner = "+OK Dovecot ready.";
  b = a;
  b.port = 995;
  b.domain = "pop.mail.example";
  auto v2 = ReadFileContents(std::string(MAILSWEEP_TEST_DATA_DIR) + "/format-v2.msr");
  REQUIRE(v2.ok());
  CHECK(v2->header.format_version == 2);
  CHECK(v2->corruptions.empty());
  REQUIRE(v2->probes.size() == 2);
  CHECK(v2->probes[0] == a);
  CHECK(v2->probes[1] == b);
  CHECK(v2->probes[1].attempts == 1);

  std::string data = ReadAll(std::string(MAILSWEEP_TEST_DATA_DIR) + "/format-v2.msr");
  EncodeFixed32(data.data() + 7 + 1 + 8, 1);
  Reseal(&data, 0);
  auto v1 = ReadBufferContents("v1.msr", data);
  REQUIRE(v1.ok());
  CHECK(v1->header.format_version == 1);
  REQUIRE_FALSE(v1->probes.empty());
  CHECK(v1->probes[0] == a);
}

// A summary-only reading of a file (RecordVisitor::SummaryOnly): the probes' summaries.

TEST_CASE("record file: NotARecordFileIsDataLoss") {
  auto c = ReadBufferContents("text", "timestamp,ip,port\n1,2,3\n");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("record file: CorruptHeaderIsDataLoss") {
  TempDir dir;
  WriteOnePerChunk(dir.File("h.msr"), 3);
  std::string data = ReadAll(dir.File("h.msr"));
  data[12] ^= 1;
  auto c = ReadBufferContents("h.msr", data);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("record file: MalformedChunkWithValidChecksumIsReportedAndSkipped") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("m.msr"), 5);
  std::string data = ReadAll(dir.File("m.msr"));
  // Chunk 2: make its first record head an out-of-range shape reference.
  uint64_t at = l.chunks[2].first;
  const size_t body = ChunkBody(data, at).first;  // the chunk's type byte
  Cursor cur(std::string_view(data).substr(body + 1));
  uint64_t base;
  REQUIRE(cur.Varint64(&base));
  size_t head_pos = body + 1 + (data.size() - body - 1 - cur.remaining());
  data[head_pos] = 0x7c;  // kSweepKnownShape with index 31: none defined
  ResealChunk(&data, at);
  auto c = ReadBufferContents("m.msr", data);
  REQUIRE(c.ok());
  CHECK(c->sweeps ==
        std::vector<SweepRecord>{l.records[0], l.records[1], l.records[3], l.records[4]});
  REQUIRE(c->corruptions.size() == 1);
  CHECK(c->corruptions[0].offset == at);
  CHECK(c->corruptions[0].reason.find("malformed chunk") == 0);
  CHECK(c->corruptions[0].kind == Damage::kMalformed);
}

TEST_CASE("record file: BlockRangesPartitionTheRecordsExactly") {
  TempDir dir;
  Layout l = WriteOnePerChunk(dir.File("r.msr"), 9000);
  auto reader = RecordFileReader::Open(dir.File("r.msr"));
  REQUIRE(reader.ok());
  uint64_t blocks = (*reader)->blocks();
  REQUIRE(blocks >= 4);
  for (uint64_t split = 0; split <= blocks; ++split) {
    std::vector<SweepRecord> got;
    MaterializingVisitor v;
    v.on_sweep = [&](const SweepRecord& r) { got.push_back(r); };
    ReadStats a = (*reader)->Scan(&v, {}, 0, split);
    ReadStats b = (*reader)->Scan(&v, {}, split, blocks);
    CHECK(a.corruptions + b.corruptions == 0);
    REQUIRE(got == l.records);
  }
}

TEST_CASE("record file: ConcurrentSinksLoseNothing") {
  TempDir dir;
  constexpr int kThreads = 4, kPerThread = 50000;
  {
    auto w = RecordFileWriter::Create(dir.File("c.msr"), TestHeader(), {.chunk_bytes = 4096});
    REQUIRE(w.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto sink = (*w)->NewSink();
        for (int i = 0; i < kPerThread; ++i) sink->Add(Sweep(t * kPerThread + i));
      });
    }
    for (auto& t : threads) t.join();
    REQUIRE((*w)->Close().ok());
  }
  auto c = ReadFileContents(dir.File("c.msr"));
  REQUIRE(c.ok());
  REQUIRE(c->sweeps.size() == kThreads * kPerThread);
  std::vector<uint32_t> addresses;
  for (const auto& r : c->sweeps) addresses.push_back(r.address);
  std::sort(addresses.begin(), addresses.end());
  std::vector<uint32_t> expected;
  for (int i = 0; i < kThreads * kPerThread; ++i) expected.push_back(Sweep(i).address);
  std::sort(expected.begin(), expected.end());
  CHECK(addresses == expected);
}

TEST_CASE("record file: KillNineKeepsEverythingFlushed") {
  TempDir dir;
  std::string path = dir.File("k.msr");
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  constexpr int kFlushed = 20000;
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto w = RecordFileWriter::Create(path, TestHeader());
    if (!w.ok()) _exit(1);
    auto sink = (*w)->NewSink();
    for (int i = 0; i < kFlushed; ++i) sink->Add(Sweep(i));
    if (!sink->Flush().ok()) _exit(1);
    (void)!write(fds[1], "x", 1);
    // Keeps writing (bounded) until killed: whole chunks and torn ones reach the file.
    for (int i = kFlushed; i < 50'000'000; ++i) sink->Add(Sweep(i));
    _exit(0);
  }
  close(fds[1]);
  char byte;
  REQUIRE(read(fds[0], &byte, 1) == 1);
  usleep(20000);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  close(fds[0]);
  auto c = ReadFileContents(path);
  REQUIRE(c.ok());
  REQUIRE(c->sweeps.size() >= kFlushed);
  for (int i = 0; i < kFlushed; ++i) REQUIRE(c->sweeps[i] == Sweep(i));
  CHECK(c->stats.corruptions == 0);
}

TEST_CASE("record file: WriterToAMissingDirectoryFailsUnavailable") {
  auto w = RecordFileWriter::Create("/nonexistent-dir/x.msr", TestHeader());
  REQUIRE_FALSE(w.ok());
  CHECK(w.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mailsweep::results
