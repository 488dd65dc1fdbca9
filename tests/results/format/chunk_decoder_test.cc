// results/format/chunk_encoder.h and chunk_decoder.h, without files: what the encoder writes the
// decoder gives back, in full and as summaries; a decoder of an older format version refuses
// what that version cannot hold; a truncated chunk yields a prefix of its records or an error.
#include "results/format/chunk_decoder.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "results/format/chunk_encoder.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

// Everything a chunk hands out, in order; certificates by count.
struct Collect : RecordVisitor {
  std::vector<SweepRecord> sweeps;
  std::vector<ProbeRecord> probes;
  std::vector<CertificateFacts> certs;
  void OnSweep(const SweepRecord& r) override { sweeps.push_back(r); }
  void OnProbe(const ProbeView& v) override {
    ProbeRecord p;
    ToProbeRecord(v, &p);
    probes.push_back(p);
  }
  void OnCertificate(const CertificateFacts& c) override { certs.push_back(c); }
};

SweepRecord SweepAt(uint32_t address, uint16_t port, int64_t time_us) {
  SweepRecord r;
  r.address = address;
  r.port = port;
  r.status = SweepStatus::kOpen;
  r.ttl = 64;
  r.window = 64240;
  r.time_us = time_us;
  return r;
}

// Probes that take each branch of the encoder: no TLS; TLS with a leaf; a domain; attempts;
// values too wide for the fixed-width fields (escaped into the rest); a time before the chunk's.
std::vector<ProbeRecord> Probes(const CertificateFacts& cert) {
  std::vector<ProbeRecord> out;
  ProbeRecord p;
  p.address = 0xc6120001u;
  p.port = 110;
  p.protocol = Protocol::kPop3;
  p.tls_mode = TlsMode::kStartTls;
  p.outcome = ProbeOutcome::kPlaintextOnly;
  p.start_us = 1764403200000000;
  p.connect_us = 1200;
  p.duration_us = 34000;
  p.banner = "+OK Dovecot ready.";
  out.push_back(p);
  p.address += 1;
  p.outcome = ProbeOutcome::kStartTlsOk;
  p.tls.version = 0x0304;
  p.tls.cipher = "TLS_AES_256_GCM_SHA384";
  p.tls.chain_length = 2;
  p.tls.leaf = cert;
  out.push_back(p);
  p.address += 1;
  p.domain = "mail.example.org";
  p.banner = "+OK Dovecot ready.";  // repeated: from the chunk's string table
  out.push_back(p);
  p.address += 1;
  p.attempts = 3;
  out.push_back(p);
  p.address = 0xffffffffu;
  p.port = 0xffff;
  p.flags = 0xffffffffu;
  p.tls.version = 0xfefd;
  p.connect_us = 0xffffffffu;
  p.duration_us = 0xffffffffu;
  p.attempts = 255;
  out.push_back(p);
  p.start_us -= 3600000000;  // an hour before the previous record
  p.attempts = 1;
  p.domain.clear();
  p.tls = {};
  out.push_back(p);
  return out;
}

struct Chunk {
  std::string bytes;
  std::vector<SweepRecord> sweeps;
  std::vector<ProbeRecord> probes;  // leaf certificates as written
  CertificateFacts cert;
};

// Sweeps, then probes (with attempts unless told not to), then sweeps again.
Chunk Encode(bool with_attempts = true) {
  std::mt19937_64 rng(7);
  Chunk c;
  c.cert = testing::RandomCertificate(rng);
  ChunkEncoder enc;
  for (uint32_t i = 0; i < 5; ++i) {
    c.sweeps.push_back(SweepAt(0xc6120000u + i, i % 2 ? 143 : 25, 1764403200000000 + i));
  }
  for (ProbeRecord& p : Probes(c.cert)) {
    if (!with_attempts) p.attempts = 1;
    c.probes.push_back(p);
  }
  for (size_t i = 0; i < 3; ++i) enc.Add(c.sweeps[i]);
  for (const ProbeRecord& p : c.probes) enc.Add(p);
  for (size_t i = 3; i < c.sweeps.size(); ++i) enc.Add(c.sweeps[i]);
  CHECK(enc.records() == c.sweeps.size() + c.probes.size());
  c.bytes = std::string(enc.data());
  return c;
}

ProbeRecord WithoutLeaf(ProbeRecord p) {
  p.tls.leaf.reset();  // the decoder hands out its SHA-256; the file reader resolves it
  return p;
}

TEST_CASE("chunk codec: EncodedRecordsDecodeBackInOrder") {
  const Chunk c = Encode();
  ChunkDecoder dec;
  Collect got;
  std::string error;
  uint64_t sweeps = 0, probes = 0, certs = 0;
  REQUIRE(dec.Decode(c.bytes, &got, &error, &sweeps, &probes, &certs));
  CHECK(error.empty());
  CHECK(got.sweeps == c.sweeps);
  REQUIRE(got.probes.size() == c.probes.size());
  for (size_t i = 0; i < c.probes.size(); ++i) {
    CAPTURE(i);
    CHECK(got.probes[i] == WithoutLeaf(c.probes[i]));
  }
  REQUIRE(got.certs.size() == 1);  // written once, before the first probe that has it
  CHECK(got.certs[0] == c.cert);
  CHECK((sweeps == c.sweeps.size() && probes == c.probes.size() && certs == 1));
}

TEST_CASE("chunk codec: SummaryDecodingGivesTheSummaryFieldsOfEveryProbe") {
  const Chunk c = Encode();
  struct Handler {
    std::vector<SweepRecord> sweeps;
    std::vector<ProbeSummary> summaries;
    void OnSweep(const SweepRecord& r) { sweeps.push_back(r); }
    void OnSummary(const ProbeSummary& s) { summaries.push_back(s); }
  } handler;
  ChunkDecoder dec;
  std::string error;
  uint64_t certs = 0;
  REQUIRE(dec.DecodeSummaries(c.bytes, handler, &error, nullptr, nullptr, &certs));
  CHECK(handler.sweeps == c.sweeps);
  CHECK(certs == 1);  // skipped, but counted
  REQUIRE(handler.summaries.size() == c.probes.size());
  for (size_t i = 0; i < c.probes.size(); ++i) {
    const ProbeSummary& s = handler.summaries[i];
    const ProbeRecord& p = c.probes[i];
    CAPTURE(i);
    CHECK((s.address == p.address && s.port == p.port && s.protocol == p.protocol));
    CHECK((s.tls_mode == p.tls_mode && s.outcome == p.outcome && s.flags == p.flags));
    CHECK((s.start_us == p.start_us && s.tls_version == p.tls.version));
  }
}

// Attempts came with version 5 (FORMAT.md 2.2): a decoder of a file of an older version reads a
// chunk without them and stops at the first record that has them.
TEST_CASE("chunk codec: ADecoderOfAnOlderVersionRefusesAttempts") {
  const Chunk plain = Encode(/*with_attempts=*/false);
  const Chunk c = Encode();
  for (uint32_t version = 1; version < 5; ++version) {
    CAPTURE(version);
    ChunkDecoder old(version);
    Collect got;
    std::string error;
    CHECK(old.Decode(plain.bytes, &got, &error));
    CHECK(got.probes.size() == plain.probes.size());
    got = Collect();
    CHECK_FALSE(old.Decode(c.bytes, &got, &error));
    CHECK(error.find("probe head") != std::string::npos);
    CHECK(got.sweeps.size() == 3);
    CHECK(got.probes.size() == 3);  // the fourth probe is the first with attempts
  }
}

TEST_CASE("chunk codec: ATruncatedChunkYieldsAPrefixOfItsRecordsOrAnError") {
  const Chunk c = Encode();
  using Entry = std::pair<char, uint32_t>;  // 's' or 'p', and the address
  std::vector<Entry> order;  // the chunk's records in order, for prefix checks
  for (size_t i = 0; i < 3; ++i) order.push_back({'s', c.sweeps[i].address});
  for (const ProbeRecord& p : c.probes) order.push_back({'p', p.address});
  for (size_t i = 3; i < c.sweeps.size(); ++i) order.push_back({'s', c.sweeps[i].address});
  struct Order : RecordVisitor {
    std::vector<Entry> seen;
    void OnSweep(const SweepRecord& r) override { seen.push_back({'s', r.address}); }
    void OnProbe(const ProbeView& v) override { seen.push_back({'p', v.address}); }
  };
  size_t failures = 0;
  for (size_t n = 0; n < c.bytes.size(); ++n) {
    CAPTURE(n);
    ChunkDecoder dec;
    Order got;
    std::string error;
    const bool ok = dec.Decode(std::string_view(c.bytes).substr(0, n), &got, &error);
    REQUIRE(got.seen.size() <= order.size());
    CHECK(std::equal(got.seen.begin(), got.seen.end(), order.begin()));
    if (ok) {
      CHECK(got.seen.size() < order.size());  // something is missing, silently: a record edge
    } else {
      CHECK_FALSE(error.empty());
      ++failures;
    }
  }
  CHECK(failures > c.bytes.size() / 2);  // most cuts land inside a record
}

}  // namespace
}  // namespace mailsweep::results
