// Damage to whole blocks of a record file, in leveldb's naming style: blocks swapped, duplicated,
// spliced in from another file, removed; files cut at every chunk boundary; a lost certificate
// definition. In every case the reader invents no record and delivers none twice (read whole and
// in block ranges), and reports each damage with its kind (FORMAT.md 2.4, the damage table).
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "results/format/log_format.h"
#include "results/format/record_reader.h"
#include "results/format/record_text.h"
#include "results/format/record_writer.h"
#include "tests/results/format/record_file_util.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::ReadAll;
using testing::Sweep;
using testing::TempDir;
using testing::TestHeader;

constexpr uint64_t kBlock = log::kBlockSize;

// A file of `n` numbered sweep records from three sinks taking turns, in chunks of about
// `chunk_bytes`: small chunks sit whole in a block, large ones span blocks.
struct Written {
  std::string data;
  std::vector<SweepRecord> records;
};
Written WriteThreeWriters(const TempDir& dir, const std::string& name, size_t chunk_bytes,
                          int n, uint32_t first = 0) {
  Written w;
  {
    WriterOptions o;
    o.chunk_bytes = chunk_bytes;
    auto writer = RecordFileWriter::Create(dir.File(name), TestHeader(), o);
    REQUIRE(writer.ok());
    std::unique_ptr<RecordSink> sinks[3] = {(*writer)->NewSink(), (*writer)->NewSink(),
                                            (*writer)->NewSink()};
    for (int i = 0; i < n; ++i) {
      w.records.push_back(Sweep(first + static_cast<uint32_t>(i)));
      sinks[(i / 50) % 3]->Add(w.records.back());
    }
    for (auto& s : sinks) s.reset();
    REQUIRE((*writer)->Close().ok());
  }
  w.data = ReadAll(dir.File(name));
  return w;
}

// What a reading gave: the records (by address), the kinds reported.
struct Reading {
  std::vector<SweepRecord> records;
  std::set<Damage> kinds;
  uint64_t corruptions = 0;
};
Reading ReadRanges(const std::string& data, uint64_t split_every) {
  auto reader = RecordFileReader::FromBuffer("damaged.msr", data);
  REQUIRE(reader.ok());
  Reading r;
  MaterializingVisitor v;
  v.on_sweep = [&](const SweepRecord& s) { r.records.push_back(s); };
  for (uint64_t b = 0; b < (*reader)->blocks(); b += split_every) {
    ReadStats st = (*reader)->Scan(&v, [&](const Corruption& c) { r.kinds.insert(c.kind); }, b,
                                   b + split_every);
    r.corruptions += st.corruptions;
  }
  return r;
}

// Every record read is one of `original`, unchanged, and none is read twice; returns how many.
size_t CheckNothingInvented(const std::vector<SweepRecord>& original, const Reading& got) {
  absl::flat_hash_map<uint32_t, const SweepRecord*> by_address;
  for (const SweepRecord& r : original) by_address[r.address] = &r;
  std::set<uint32_t> seen;
  for (const SweepRecord& r : got.records) {
    auto it = by_address.find(r.address);
    INFO("address " << r.address);
    REQUIRE(it != by_address.end());  // not invented
    CHECK(*it->second == r);
    CHECK(seen.insert(r.address).second);  // not duplicated
  }
  return seen.size();
}

// Reads `data` whole and in ranges of 1 and 3 blocks: each reading invents and duplicates
// nothing, all give the same records and the same kinds of damage; returns the whole reading.
Reading CheckAllReadings(const std::vector<SweepRecord>& original, const std::string& data) {
  Reading whole = ReadRanges(data, UINT64_MAX / 2);
  CheckNothingInvented(original, whole);
  std::multiset<uint32_t> want;
  for (const SweepRecord& r : whole.records) want.insert(r.address);
  for (uint64_t every : {1, 3}) {
    CAPTURE(every);
    Reading part = ReadRanges(data, every);
    CheckNothingInvented(original, part);
    std::multiset<uint32_t> got;
    for (const SweepRecord& r : part.records) got.insert(r.address);
    CHECK(got == want);
    CHECK(part.kinds == whole.kinds);
  }
  return whole;
}

std::string Block(const std::string& data, uint64_t b) { return data.substr(b * kBlock, kBlock); }

TEST_CASE("damage: BlockSwap") {
  TempDir dir;
  for (size_t chunk_bytes : {3000, 50000}) {
    Written w = WriteThreeWriters(dir, "s.msr", chunk_bytes, 40000);
    const uint64_t blocks = w.data.size() / kBlock;  // whole blocks only
    REQUIRE(blocks >= 6);
    for (uint64_t i = 1; i < 6; ++i) {
      for (uint64_t j = i + 1; j < blocks; j += 2) {
        CAPTURE(chunk_bytes, i, j);
        std::string d = w.data;
        d.replace(i * kBlock, kBlock, Block(w.data, j));
        d.replace(j * kBlock, kBlock, Block(w.data, i));
        Reading r = CheckAllReadings(w.records, d);
        REQUIRE_FALSE(r.kinds.empty());
        // Whole chunks come out of order; chunks cut by the swap fail their checksum.
        CHECK((r.kinds.count(Damage::kOutOfOrder) + r.kinds.count(Damage::kDamaged)) > 0);
        CHECK(r.corruptions > 0);
      }
    }
  }
}

TEST_CASE("damage: BlockDuplicate") {
  TempDir dir;
  for (size_t chunk_bytes : {3000, 50000}) {
    Written w = WriteThreeWriters(dir, "d.msr", chunk_bytes, 40000);
    const uint64_t blocks = w.data.size() / kBlock;
    for (uint64_t i = 1; i + 1 < blocks; i += 2) {
      CAPTURE(chunk_bytes, i);
      // Small chunks: every block holds chunks that start in it, and their copies are
      // duplicates. Large ones: a block may hold only the middle of a chunk, and a copy of it
      // breaks the chunk it lands in.
      const bool starts = chunk_bytes < kBlock;
      // A copy of block i inserted after it: every record is still there once.
      std::string d = w.data;
      d.insert((i + 1) * kBlock, Block(w.data, i));
      Reading r = CheckAllReadings(w.records, d);
      CHECK(r.corruptions > 0);
      if (starts) CHECK(r.kinds.count(Damage::kDuplicate) == 1);
      // The chunk that ran from block i into i + 1 now breaks at the copy, but its second copy
      // (from the copy into i + 1) is intact and read: nothing is lost.
      if (starts) CHECK(r.records.size() == w.records.size());
      // A copy of block i over block i + 1: block i + 1's chunks are missing.
      d = w.data;
      d.replace((i + 1) * kBlock, kBlock, Block(w.data, i));
      r = CheckAllReadings(w.records, d);
      CHECK(r.corruptions > 0);
      CHECK(r.records.size() < w.records.size());
      if (starts) CHECK(r.kinds.count(Damage::kDuplicate) == 1);
      if (starts) CHECK(r.kinds.count(Damage::kMissing) == 1);
    }
  }
}

TEST_CASE("damage: BlockFromAnotherFile") {
  TempDir dir;
  for (size_t chunk_bytes : {3000, 50000}) {
    // The same header, other records of the same size.
    Written w = WriteThreeWriters(dir, "a.msr", chunk_bytes, 40000);
    Written other = WriteThreeWriters(dir, "b.msr", chunk_bytes, 40000, 100000);
    REQUIRE(w.data.size() == other.data.size());
    const uint64_t blocks = w.data.size() / kBlock;
    for (uint64_t i = 1; i < blocks; ++i) {
      CAPTURE(chunk_bytes, i);
      std::string d = w.data;
      d.replace(i * kBlock, kBlock, Block(other.data, i));
      Reading r = CheckAllReadings(w.records, d);
      CHECK(r.kinds.count(Damage::kForeign) + r.kinds.count(Damage::kDamaged) > 0);
      if (chunk_bytes < kBlock) CHECK(r.kinds.count(Damage::kForeign) == 1);
      if (chunk_bytes < kBlock) CHECK(r.kinds.count(Damage::kMissing) == 1);
      CHECK(r.records.size() < w.records.size());
    }
  }
}

TEST_CASE("damage: BlockRemoved") {
  TempDir dir;
  Written w = WriteThreeWriters(dir, "r.msr", 3000, 40000);
  const uint64_t blocks = w.data.size() / kBlock;
  for (uint64_t i = 1; i < blocks; ++i) {
    CAPTURE(i);
    std::string d = w.data;
    d.erase(i * kBlock, kBlock);
    Reading r = CheckAllReadings(w.records, d);
    CHECK(r.kinds.count(Damage::kMissing) == 1);
  }
}

// A cut exactly where a chunk ends leaves a file of intact chunks: without the end record it
// reads as "not closed", with exactly the records before the cut.
TEST_CASE("damage: TruncationAtEveryChunkBoundary") {
  TempDir dir;
  testing::Layout l = testing::WriteOnePerChunk(dir.File("t.msr"), 3000);
  const std::string data = ReadAll(dir.File("t.msr"));
  for (size_t k = 0; k <= l.chunks.size(); ++k) {
    CAPTURE(k);
    const uint64_t cut = k == 0 ? l.chunks[0].first : l.chunks[k - 1].second;
    auto c = ReadBufferContents("cut.msr", data.substr(0, cut));
    REQUIRE(c.ok());
    CHECK(c->sweeps == std::vector<SweepRecord>(l.records.begin(), l.records.begin() + k));
    REQUIRE(c->corruptions.size() == 1);
    CHECK(c->corruptions[0].kind == Damage::kNotClosed);
    CHECK(c->corruptions[0].torn_tail);
    CHECK(c->stats.corruptions == 0);
  }
  auto whole = ReadBufferContents("whole.msr", data);
  REQUIRE(whole.ok());
  CHECK(whole->corruptions.empty());
  // The end record alone removed, or cut inside it: not closed as well.
  for (uint64_t cut = l.end_record.first + 1; cut < l.end_record.second; cut += 7) {
    auto c = ReadBufferContents("cut.msr", data.substr(0, cut));
    REQUIRE(c.ok());
    CHECK(c->sweeps == l.records);
    REQUIRE_FALSE(c->corruptions.empty());
    CHECK(c->corruptions.back().kind == Damage::kNotClosed);
  }
}

CertificateFacts Cert() {
  CertificateFacts c;
  for (int i = 0; i < 32; ++i) c.sha256[i] = static_cast<uint8_t>(0xa0 + i);
  c.sha1[0] = 1;
  c.md5[0] = 2;
  c.subject_cn = "mail.example";
  c.issuer_cn = "mail.example";
  c.not_before = 1700000000;
  c.not_after = 1800000000;
  c.self_signed = true;
  c.key_algorithm = "RSA";
  c.key_bits = 2048;
  return c;
}

TEST_CASE("damage: LostCertificateDefinition") {
  TempDir dir;
  std::vector<ProbeRecord> written;
  {
    WriterOptions o;
    o.chunk_bytes = 2000;
    auto writer = RecordFileWriter::Create(dir.File("c.msr"), TestHeader(), o);
    REQUIRE(writer.ok());
    auto sink = (*writer)->NewSink();
    for (uint32_t i = 0; i < 3000; ++i) {
      ProbeRecord p;
      p.address = 0xc6120000u + i;
      p.port = 993;
      p.protocol = Protocol::kImap;
      p.tls_mode = TlsMode::kImplicit;
      p.outcome = ProbeOutcome::kImplicitTlsOk;
      p.tls.version = 0x0304;
      p.tls.leaf = Cert();  // defined once, in the first chunk
      sink->Add(p);
      written.push_back(p);
    }
    sink.reset();
    REQUIRE((*writer)->Close().ok());
  }
  std::string data = ReadAll(dir.File("c.msr"));
  REQUIRE(data.size() > 2 * kBlock);
  auto intact = ReadBufferContents("c.msr", data);
  REQUIRE(intact.ok());
  CHECK(intact->probes == written);
  CHECK(intact->corruptions.empty());

  data[200] ^= 0x10;  // inside the first records chunk, which holds the definition
  auto c = ReadBufferContents("c.msr", data);
  REQUIRE(c.ok());
  REQUIRE(c->probes.size() > 1000);
  for (const ProbeRecord& p : c->probes) {
    REQUIRE(p.tls.leaf);
    CHECK(p.tls.leaf->lost);
    CHECK(p.tls.leaf->sha256 == Cert().sha256);
    CertificateFacts only_sha = CertificateFacts();
    only_sha.sha256 = Cert().sha256;
    only_sha.lost = true;
    CHECK(*p.tls.leaf == only_sha);  // nothing made up: every other field empty
    const std::string json = ProbeToJson(p);
    CHECK(json.find("\"definition_lost\":true") != std::string::npos);
    CHECK(json.find("fingerprint_sha1") == std::string::npos);
    CHECK(json.find("self_signed") == std::string::npos);
  }
  std::set<Damage> kinds;
  for (const Corruption& k : c->corruptions) kinds.insert(k.kind);
  CHECK(kinds.count(Damage::kDamaged) == 1);
  CHECK(kinds.count(Damage::kLostDefinition) == 1);
}

}  // namespace
}  // namespace mailsweep::results
