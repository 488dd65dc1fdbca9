// The probe record layouts of the record files (FORMAT.md 2.2): fixed-width summaries, files of
// versions 3 and 4 still read, and the attempts field; each case names what it checks.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "results/format/coding.h"
#include "results/format/chunk_encoder.h"
#include "results/format/chunk_format.h"
#include "results/format/record_reader.h"
#include "results/format/record_writer.h"
#include "tests/results/format/record_file_util.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::ReadAll;
using testing::AsUnsealedVersion;
using testing::ChunkBody;
using testing::Reseal;
using testing::ResealChunk;
using testing::TempDir;
using testing::TestHeader;

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

// data/format-v5.msr was written by the version 5 writer (commit 9ff4ce8) with the first two
// records of the version 4 file, the second with 3 attempts and a certificate, and its third: no
// envelopes and no end record, and it reads back whole, with no "not closed" report.
TEST_CASE("record file: Version5StillReads") {
  const std::string path = std::string(MAILSWEEP_TEST_DATA_DIR) + "/format-v5.msr";
  auto v5 = ReadFileContents(path);
  REQUIRE(v5.ok());
  CHECK(v5->header.format_version == 5);
  CHECK(v5->header.file_id == 0);
  CHECK(v5->header.scan_id == "v5file");
  CHECK(v5->corruptions.empty());
  REQUIRE(v5->probes.size() == 3);
  REQUIRE(v5->sweeps.size() == 1);
  CHECK(v5->sweeps[0].address == 0xc6120006u);
  const ProbeRecord& b = v5->probes[1];
  CHECK(b.port == 995);
  CHECK(b.domain == "pop.mail.example");
  CHECK(b.attempts == 3);
  REQUIRE(b.tls.leaf);
  CHECK_FALSE(b.tls.leaf->lost);
  CHECK(b.tls.leaf->sha256[31] == 32);
  CHECK(b.tls.leaf->md5[0] == 0x80);
  CHECK(b.tls.leaf->subject_cn == "pop.mail.example");
  CHECK(b.tls.leaf->self_signed);
  CHECK(b.tls.leaf->key_bits == 2048);
  CHECK(v5->probes[0].attempts == 1);
  CHECK(v5->probes[2].flags == 0x12345678u);
  CHECK(ReadSummaries(path).size() == 3);
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
// fragment (header, records and end record fit one block; the records one chunk) and the end of
// its records.
std::string WriteProbes(const TempDir& dir, const std::vector<ProbeRecord>& records,
                        size_t* fragment, size_t* records_end) {
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
  *records_end = ChunkBody(data, *fragment).second;
  REQUIRE(*records_end + 4 < data.size());  // the end record follows
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
  size_t fragment, end;
  std::string data = WriteProbes(dir, {a, b, c}, &fragment, &end);
  auto v6 = ReadBufferContents("v6.msr", data);
  REQUIRE(v6.ok());
  CHECK(v6->probes == std::vector<ProbeRecord>{a, b, c});
  auto v5 = ReadBufferContents("v5.msr", AsUnsealedVersion(data, 5));
  REQUIRE(v5.ok());
  CHECK(v5->probes == std::vector<ProbeRecord>{a, b, c});

  CheckMalformedAfter(AsUnsealedVersion(data, 4), {a}, "bad probe head");
}

// Attempts of 1 are never written out (the head's bit is clear instead), so a record has one
// encoding; 0 and more than 255 are malformed too.
TEST_CASE("record file: AttemptsWrittenAsOneZeroOrAbove255AreMalformed") {
  TempDir dir;
  ProbeRecord a = Pop3Probe(), b = Pop3Probe();
  b.port = 995;
  b.attempts = 2;
  size_t fragment, end;
  std::string data = WriteProbes(dir, {a, b}, &fragment, &end);
  REQUIRE(data[end - 1] == 2);
  for (char attempts : {1, 0}) {
    CAPTURE(int{attempts});
    std::string bad = data;
    bad[end - 1] = attempts;
    ResealChunk(&bad, fragment);
    CheckMalformedAfter(bad, {a}, "malformed probe record", true, 2);
  }

  b.attempts = 255;
  data = WriteProbes(dir, {a, b}, &fragment, &end);
  REQUIRE(data.substr(end - 2, 2) == "\xff\x01");
  data[end - 2] = '\x80';
  data[end - 1] = 2;  // 256
  ResealChunk(&data, fragment);
  CheckMalformedAfter(data, {a}, "malformed probe record", true, 2);
}

}  // namespace
}  // namespace mailsweep::results
