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
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::TestHeader;
using testing::WriteAll;

SweepRecord Sweep(uint32_t i) {
  SweepRecord r;
  r.address = 0xc6120000u + i * 7919u;
  r.port = (i % 3 == 0) ? 110 : 143;
  r.status = SweepStatus::kOpen;
  r.ttl = 64;
  r.window = 64240;
  r.time_us = 1764403200000000 + i * 13;
  return r;
}

// Writes records one chunk each (Flush after each) and returns each chunk's [start, end).
struct Layout {
  std::vector<std::pair<uint64_t, uint64_t>> chunks;
  std::vector<SweepRecord> records;
};
Layout WriteOnePerChunk(const std::string& path, int n) {
  auto writer = RecordFileWriter::Create(path, TestHeader());
  REQUIRE(writer.ok());
  auto sink = (*writer)->NewSink();
  Layout layout;
  uint64_t start = (*writer)->stats().bytes;
  for (int i = 0; i < n; ++i) {
    SweepRecord r = Sweep(i);
    sink->Add(r);
    REQUIRE(sink->Flush().ok());
    uint64_t end = (*writer)->stats().bytes;
    // A trailer (< 7 bytes) belongs before the chunk's first fragment.
    uint64_t s = start;
    if (log::kBlockSize - s % log::kBlockSize < log::kHeaderSize) {
      s += log::kBlockSize - s % log::kBlockSize;
    }
    layout.chunks.push_back({s, end});
    layout.records.push_back(r);
    start = end;
  }
  sink.reset();
  REQUIRE((*writer)->Close().ok());
  return layout;
}

std::vector<SweepRecord> Expected(const Layout& l,
                                  const std::function<bool(uint64_t, uint64_t)>& lost) {
  std::vector<SweepRecord> out;
  for (size_t i = 0; i < l.records.size(); ++i) {
    if (!lost(l.chunks[i].first, l.chunks[i].second)) out.push_back(l.records[i]);
  }
  return out;
}

// Rewrites the fragment at `offset` after `edit` changed its payload, with a valid CRC.
void Reseal(std::string* data, size_t offset) {
  uint16_t len = DecodeFixed16(data->data() + offset + 4);
  uint32_t crc = crc32c::Value(data->data() + offset + 6, 1 + len);
  EncodeFixed32(data->data() + offset, crc32c::Mask(crc));
}

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
  data.resize(data.size() - 3);  // cuts the last chunk's fragment
  auto c = ReadBufferContents("t.msr", data);
  REQUIRE(c.ok());
  std::vector<SweepRecord> expected(l.records.begin(), l.records.end() - 1);
  CHECK(c->sweeps == expected);
  REQUIRE(c->corruptions.size() == 1);
  CHECK(c->corruptions[0].torn_tail);
  CHECK(c->corruptions[0].offset == l.chunks.back().first);
  CHECK(c->corruptions[0].bytes == l.chunks.back().second - l.chunks.back().first - 3);
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
  REQUIRE(c->corruptions.size() == 1);
  CHECK(c->corruptions[0].torn_tail);
  CHECK(c->corruptions[0].bytes == 3);
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
std::vector<ProbeSummary> ReadSummaries(const std::string& path) {
  struct Summaries : RecordVisitor {
    std::vector<ProbeSummary> got;
    bool SummaryOnly() const override { return true; }
    void OnProbeSummaries(std::span<const ProbeSummary> batch) override {
      got.insert(got.end(), batch.begin(), batch.end());
    }
  } summaries;
  auto reader = RecordFileReader::Open(path);
  REQUIRE(reader.ok());
  (*reader)->Scan(&summaries, [](const Corruption&) { FAIL("corruption"); });
  return summaries.got;
}

void CheckSummaryOf(const ProbeSummary& got, const ProbeRecord& want) {
  CHECK(got.address == want.address);
  CHECK(got.port == want.port);
  CHECK(got.protocol == want.protocol);
  CHECK(got.tls_mode == want.tls_mode);
  CHECK(got.outcome == want.outcome);
  CHECK(got.flags == want.flags);
  CHECK(got.start_us == want.start_us);
  CHECK(got.tls_version == want.tls.version);
}

// Probe records are written with fixed-width summary fields (FORMAT.md 2.2), escaping the
// values that do not fit into the rest; all read back, in full and as summaries.
TEST_CASE("record file: FixedLayoutWritesFixedWidthSummaries") {
  ProbeRecord a;
  a.address = 0xc6120005u;
  a.port = 110;
  a.protocol = Protocol::kPop3;
  a.outcome = ProbeOutcome::kStartTlsOk;
  a.flags = kStartTlsAdvertised | kCapabilitiesRead;
  a.start_us = 1764403200123456;
  a.tls.version = 0x0304;
  a.banner = "+OK ready";

  // The bytes of a record: head, then the fixed fields at their offsets.
  ChunkEncoder enc;
  enc.Add(a);
  const std::string_view chunk = enc.data();
  std::string base;
  PutVarint64(&base, ZigZag(a.start_us));
  const size_t at = 1 + base.size();  // after the chunk type and base time
  REQUIRE(chunk.size() > at + 20);
  CHECK(static_cast<uint8_t>(chunk[at]) == ((kProbeFixed << 2) | kProbe));
  const char* f = chunk.data() + at + 1;
  CHECK(DecodeFixed32(f) == a.address);
  CHECK(DecodeFixed16(f + 4) == a.port);
  CHECK(static_cast<uint8_t>(f[6]) == static_cast<uint8_t>(a.protocol));
  CHECK(static_cast<uint8_t>(f[7]) == static_cast<uint8_t>(a.tls_mode));
  CHECK(static_cast<uint8_t>(f[8]) == static_cast<uint8_t>(a.outcome));
  CHECK(DecodeFixed16(f + 9) == a.tls.version);
  CHECK(DecodeFixed16(f + 11) == a.flags);
  CHECK(DecodeFixed32(f + 13) == 0);  // the first record's time is the chunk's base
  CHECK(DecodeFixed16(f + 17) == chunk.size() - at - 1 - 19);  // the rest runs to the end

  // Every escape: flags that need more than 16 bits, a time step beyond 32 bits of zigzag, a
  // rest of 64 KiB or more (a banner of 70,000 bytes); and a domain.
  ProbeRecord b = a;
  b.port = 995;
  b.tls_mode = TlsMode::kImplicit;
  b.outcome = ProbeOutcome::kImplicitTlsOk;
  b.flags = 0xffffffffu;
  ProbeRecord c = a;
  c.start_us = a.start_us - 3000000000;  // 50 minutes earlier
  ProbeRecord d = a;
  d.banner = std::string(70000, 'x');
  d.domain = "pop.mail.example";
  ProbeRecord e = a;
  e.flags = 0xfffe;                      // the largest that fits
  e.start_us = a.start_us + 2147483647;  // zigzag 0xfffffffe from a: the largest step that fits
  TempDir dir;
  {
    auto w = RecordFileWriter::Create(dir.File("fixed.msr"), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    for (const ProbeRecord* r : {&a, &b, &c, &d, &e}) sink->Add(*r);
    sink.reset();
    REQUIRE((*w)->Close().ok());
  }
  auto fixed = ReadFileContents(dir.File("fixed.msr"));
  REQUIRE(fixed.ok());
  CHECK(fixed->header.format_version == kFormatVersion);
  CHECK(fixed->corruptions.empty());
  REQUIRE(fixed->probes.size() == 5);
  CHECK(fixed->probes[0] == a);
  CHECK(fixed->probes[1] == b);
  CHECK(fixed->probes[2] == c);
  CHECK(fixed->probes[3] == d);
  CHECK(fixed->probes[4] == e);

  // A summary-only reader skips the rest: the banner is not even looked at.
  const std::vector<ProbeSummary> got = ReadSummaries(dir.File("fixed.msr"));
  REQUIRE(got.size() == 5);
  const ProbeRecord* want[] = {&a, &b, &c, &d, &e};
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CheckSummaryOf(got[i], *want[i]);
  }
}

// data/format-v3.msr was written by the version 3 writer (commit 32868e9) with the records
// below: a probe, a sweep, and a probe with a domain, an earlier time and a tail of over 127
// bytes. It reads back in full and as summaries.
TEST_CASE("record file: Version3StillReads") {
  ProbeRecord a;
  a.address = 0xc6120005u;
  a.port = 110;
  a.protocol = Protocol::kPop3;
  a.outcome = ProbeOutcome::kStartTlsOk;
  a.flags = kStartTlsAdvertised | kStartTlsAccepted | kTlsHandshakeOk | kCapabilitiesRead;
  a.start_us = 1764403200123456;
  a.banner = "+OK Dovecot ready.";
  a.tls.version = 0x0303;
  a.tls.cipher = "TLS_AES_256_GCM_SHA384";
  ProbeRecord b = a;
  b.port = 995;
  b.tls_mode = TlsMode::kImplicit;
  b.outcome = ProbeOutcome::kImplicitTlsOk;
  b.start_us = a.start_us - 70000000;
  b.domain = "pop.mail.example";
  b.banner = std::string(200, 'x');
  SweepRecord s;
  s.address = 0xc6120006u;
  s.port = 143;
  s.status = SweepStatus::kOpen;
  s.ttl = 64;
  s.window = 64240;
  s.time_us = a.start_us + 5;

  const std::string path = std::string(MAILSWEEP_TEST_DATA_DIR) + "/format-v3.msr";
  auto v3 = ReadFileContents(path);
  REQUIRE(v3.ok());
  CHECK(v3->header.format_version == 3);
  CHECK(v3->corruptions.empty());
  REQUIRE(v3->probes.size() == 2);
  CHECK(v3->probes[0] == a);
  CHECK(v3->probes[1] == b);
  CHECK(v3->probes[1].attempts == 1);
  REQUIRE(v3->sweeps.size() == 1);
  CHECK(v3->sweeps[0] == s);

  const std::vector<ProbeSummary> got = ReadSummaries(path);
  REQUIRE(got.size() == 2);
  CheckSummaryOf(got[0], a);
  CheckSummaryOf(got[1], b);
}

// data/format-v4.msr was written by the version 4 writer (commit 095bb92) with the records of
// the version 3 file and one more whose flags and time step are escaped (a time 2^40 us later).
// It reads back in full, with one attempt each, and as summaries.
TEST_CASE("record file: Version4StillReads") {
  ProbeRecord a;
  a.address = 0xc6120005u;
  a.port = 110;
  a.protocol = Protocol::kPop3;
  a.outcome = ProbeOutcome::kStartTlsOk;
  a.flags = kStartTlsAdvertised | kStartTlsAccepted | kTlsHandshakeOk | kCapabilitiesRead;
  a.start_us = 1764403200123456;
  a.banner = "+OK Dovecot ready.";
  a.tls.version = 0x0303;
  a.tls.cipher = "TLS_AES_256_GCM_SHA384";
  ProbeRecord b = a;
  b.port = 995;
  b.tls_mode = TlsMode::kImplicit;
  b.outcome = ProbeOutcome::kImplicitTlsOk;
  b.start_us = a.start_us - 70000000;
  b.domain = "pop.mail.example";
  b.banner = std::string(200, 'x');
  ProbeRecord c = a;
  c.address = 0xc6120007u;
  c.port = 143;
  c.protocol = Protocol::kImap;
  c.banner = "* OK ready";
  c.flags = 0x12345678u;
  c.start_us = a.start_us + (int64_t{1} << 40);
  SweepRecord s;
  s.address = 0xc6120006u;
  s.port = 143;
  s.status = SweepStatus::kOpen;
  s.ttl = 64;
  s.window = 64240;
  s.time_us = a.start_us + 5;

  const std::string path = std::string(MAILSWEEP_TEST_DATA_DIR) + "/format-v4.msr";
  auto v4 = ReadFileContents(path);
  REQUIRE(v4.ok());
  CHECK(v4->header.format_version == 4);
  CHECK(v4->corruptions.empty());
  REQUIRE(v4->probes.size() == 3);
  CHECK(v4->probes[0] == a);
  CHECK(v4->probes[1] == b);
  CHECK(v4->probes[2] == c);
  for (const ProbeRecord& p : v4->probes) CHECK(p.attempts == 1);
  REQUIRE(v4->sweeps.size() == 1);
  CHECK(v4->sweeps[0] == s);

  const std::vector<ProbeSummary> got = ReadSummaries(path);
  REQUIRE(got.size() == 3);
  CheckSummaryOf(got[0], a);
  CheckSummaryOf(got[1], b);
  CheckSummaryOf(got[2], c);
}

ProbeRecord Pop3Probe() {
  ProbeRecord a;
  a.address = 0xc6120005u;
  a.port = 110;
  a.protocol = Protocol::kPop3;
  a.outcome = ProbeOutcome::kStartTlsOk;
  a.flags = kStartTlsAdvertised | kCapabilitiesRead;
  a.start_us = 1764403200123456;
  a.tls.version = 0x0304;
  a.banner = "+OK ready";
  return a;
}

// The attempts (version 5) cost nothing when 1; otherwise the head says so and a varint ends
// the rest, after the domain.
TEST_CASE("record file: AttemptsEndTheRestOnlyWhenNotOne") {
  auto encode = [](const ProbeRecord& r) {
    ChunkEncoder enc;
    enc.Add(r);
    return std::string(enc.data());
  };
  ProbeRecord a = Pop3Probe();
  std::string base;
  PutVarint64(&base, ZigZag(a.start_us));
  const size_t at = 1 + base.size();  // the record's head
  const std::string one = encode(a);
  CHECK(static_cast<uint8_t>(one[at]) == ((kProbeFixed << 2) | kProbe));

  for (uint8_t attempts : {uint8_t{2}, uint8_t{127}, uint8_t{128}, uint8_t{255}}) {
    CAPTURE(int{attempts});
    a.attempts = attempts;
    const std::string more = encode(a);
    std::string varint;
    PutVarint64(&varint, attempts);
    // The record of one attempt with another head, a longer rest and the varint at its end.
    std::string expected = one;
    expected[at] = static_cast<char>(((kProbeFixed | kProbeAttempts) << 2) | kProbe);
    const size_t rest_at = at + 1 + 17;
    EncodeFixed16(&expected[rest_at],
                  static_cast<uint16_t>(DecodeFixed16(&one[rest_at]) + varint.size()));
    expected += varint;
    CHECK(more == expected);
  }

  a.attempts = 3;
  a.domain = "pop.mail.example";
  const std::string named = encode(a);
  CHECK(static_cast<uint8_t>(named[at]) ==
        (((kProbeFixed | kProbeAttempts | kProbeHasDomain) << 2) | kProbe));
  CHECK(named.substr(named.size() - a.domain.size() - 2) ==
        std::string("\x21") + a.domain + "\x03");  // literal dstr (16 << 1 | 1), then 3
}

// Writes `records` to a file and returns its bytes, with the offset of the one records chunk's
// fragment (header and records fit one block; the records one chunk).
std::string WriteProbes(const TempDir& dir, const std::vector<ProbeRecord>& records,
                        size_t* fragment) {
  {
    auto w = RecordFileWriter::Create(dir.File("a.msr"), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    for (const ProbeRecord& r : records) sink->Add(r);
    sink.reset();
    REQUIRE((*w)->Close().ok());
  }
  std::string data = ReadAll(dir.File("a.msr"));
  *fragment = log::kHeaderSize + DecodeFixed16(data.data() + 4);
  REQUIRE(data.size() > *fragment + log::kHeaderSize);
  REQUIRE(*fragment + log::kHeaderSize + DecodeFixed16(data.data() + *fragment + 4) == data.size());
  return data;
}

// Reads `data` in full: one malformed chunk, after the records `before`. A summary-only reading
// notices a bad head the same way, but skips a record's rest unread (FORMAT.md 2.2): with
// `in_rest` it delivers all `records`.
void CheckMalformedAfter(const std::string& data, const std::vector<ProbeRecord>& before,
                         const std::string& what, bool in_rest = false, size_t records = 0) {
  auto c = ReadBufferContents("bad.msr", data);
  REQUIRE(c.ok());
  CHECK(c->probes == before);
  REQUIRE(c->corruptions.size() == 1);
  CHECK(c->corruptions[0].reason.find("malformed chunk: " + what) == 0);
  CHECK_FALSE(c->corruptions[0].torn_tail);

  struct Summaries : RecordVisitor {
    size_t got = 0;
    bool SummaryOnly() const override { return true; }
    void OnProbeSummaries(std::span<const ProbeSummary> batch) override { got += batch.size(); }
  } summaries;
  auto reader = RecordFileReader::FromBuffer("bad.msr", data);
  REQUIRE(reader.ok());
  int corruptions = 0;
  (*reader)->Scan(&summaries, [&](const Corruption&) { ++corruptions; });
  CHECK(corruptions == (in_rest ? 0 : 1));
  CHECK(summaries.got == (in_rest ? records : before.size()));
}

TEST_CASE("record file: AttemptsInAVersion4FileAreMalformed") {
  TempDir dir;
  ProbeRecord a = Pop3Probe(), b = Pop3Probe(), c = Pop3Probe();
  b.port = 995;
  b.attempts = 3;
  c.port = 143;
  size_t fragment;
  std::string data = WriteProbes(dir, {a, b, c}, &fragment);
  auto v5 = ReadBufferContents("v5.msr", data);
  REQUIRE(v5.ok());
  CHECK(v5->probes == std::vector<ProbeRecord>{a, b, c});

  EncodeFixed32(data.data() + 7 + 1 + 8, 4);
  Reseal(&data, 0);
  CheckMalformedAfter(data, {a}, "bad probe head");
}

// Attempts of 1 are never written out (the head's bit is clear instead), so a record has one
// encoding; 0 and more than 255 are malformed too.
TEST_CASE("record file: AttemptsWrittenAsOneZeroOrAbove255AreMalformed") {
  TempDir dir;
  ProbeRecord a = Pop3Probe(), b = Pop3Probe();
  b.port = 995;
  b.attempts = 2;
  size_t fragment;
  std::string data = WriteProbes(dir, {a, b}, &fragment);
  REQUIRE(data.back() == 2);
  for (char attempts : {1, 0}) {
    CAPTURE(int{attempts});
    std::string bad = data;
    bad.back() = attempts;
    Reseal(&bad, fragment);
    CheckMalformedAfter(bad, {a}, "malformed probe record", true, 2);
  }

  b.attempts = 255;
  data = WriteProbes(dir, {a, b}, &fragment);
  REQUIRE(data.substr(data.size() - 2) == "\xff\x01");
  data[data.size() - 2] = '\x80';
  data.back() = 2;  // 256
  Reseal(&data, fragment);
  CheckMalformedAfter(data, {a}, "malformed probe record", true, 2);
}

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
  Cursor cur(std::string_view(data).substr(at + 7 + 1));
  uint64_t base;
  REQUIRE(cur.Varint64(&base));
  size_t head_pos = at + 7 + 1 + (data.size() - at - 8 - cur.remaining());
  data[head_pos] = 0x7c;  // kSweepKnownShape with index 31: none defined
  Reseal(&data, at);
  auto c = ReadBufferContents("m.msr", data);
  REQUIRE(c.ok());
  CHECK(c->sweeps ==
        std::vector<SweepRecord>{l.records[0], l.records[1], l.records[3], l.records[4]});
  REQUIRE(c->corruptions.size() == 1);
  CHECK(c->corruptions[0].offset == at);
  CHECK(c->corruptions[0].reason.find("malformed chunk") == 0);
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
