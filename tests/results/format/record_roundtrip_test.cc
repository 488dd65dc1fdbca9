// Round-trip properties for every record kind, and the size goals on lab-like data.
#include <catch2/catch.hpp>
#include <random>

#include "results/format/record_reader.h"
#include "results/format/record_writer.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::RandomCertificate;
using testing::RandomString;
using testing::TempDir;
using testing::TestHeader;

SweepRecord RandomSweep(std::mt19937_64& rng) {
  SweepRecord r;
  r.address = static_cast<uint32_t>(rng());
  r.port = static_cast<uint16_t>(rng());
  r.status = static_cast<SweepStatus>(1 + rng() % 3);
  r.ttl = static_cast<uint8_t>(rng());
  r.window = static_cast<uint16_t>(rng());
  r.time_us = static_cast<int64_t>(rng());
  return r;
}

ProbeRecord RandomProbe(std::mt19937_64& rng, const std::vector<CertificateFacts>& certs) {
  ProbeRecord p;
  p.address = static_cast<uint32_t>(rng());
  p.port = static_cast<uint16_t>(rng());
  p.protocol = static_cast<Protocol>(rng() % 4);
  p.tls_mode = static_cast<TlsMode>(rng() % 2);
  p.outcome = static_cast<ProbeOutcome>(1 + rng() % 15);
  p.flags = static_cast<uint32_t>(rng());
  p.start_us = static_cast<int64_t>(rng());
  p.connect_us = static_cast<uint32_t>(rng());
  p.duration_us = static_cast<uint32_t>(rng());
  static const char* kPool[] = {"", "+OK Dovecot ready.", "* OK IMAP4rev1", "STLS USER SASL"};
  auto pick = [&](size_t cap) {
    return rng() % 2 ? std::string(kPool[rng() % 4]) : RandomString(rng, cap);
  };
  p.banner = pick(600);
  p.capabilities = pick(100);
  p.capabilities_tls = pick(100);
  p.auth_mechanisms = pick(20);
  p.auth_mechanisms_tls = pick(20);
  p.tls.version = static_cast<uint16_t>(rng());
  p.tls.cipher = pick(30);
  p.tls.chain_length = static_cast<uint8_t>(rng());
  p.tls.failure = pick(20);
  if (rng() % 3 != 0) p.tls.leaf = certs[rng() % certs.size()];
  if (rng() % 4 == 0) p.domain = rng() % 2 ? "mail.example.org" : RandomString(rng, 60);
  if (rng() % 4 == 0) p.attempts = static_cast<uint8_t>(2 + rng() % 254);
  return p;
}

// The fields a summary-only reader gets (RecordVisitor::SummaryOnly), the rest left empty.
ProbeRecord SummaryOf(const ProbeRecord& r) {
  ProbeRecord p;
  p.address = r.address;
  p.port = r.port;
  p.protocol = r.protocol;
  p.tls_mode = r.tls_mode;
  p.outcome = r.outcome;
  p.flags = r.flags;
  p.start_us = r.start_us;
  p.tls.version = r.tls.version;
  return p;
}

// Reads like mailsweep-agg's summary-only roll-up: probe summaries, no certificates.
struct SummaryVisitor : RecordVisitor {
  std::vector<SweepRecord> sweeps;
  std::vector<ProbeRecord> probes;  // only the summary fields set
  int certificates = 0;
  bool SummaryOnly() const override { return true; }
  void OnSweep(const SweepRecord& r) override { sweeps.push_back(r); }
  void OnCertificate(const CertificateFacts&) override { ++certificates; }
  void OnProbe(const ProbeView& v) override {
    ProbeRecord p;
    ToProbeRecord(v, &p);
    probes.push_back(SummaryOf(p));
  }
};

TEST_CASE("round trip: random sweep and probe records, interleaved, any chunk size") {
  std::mt19937_64 rng(42);
  std::vector<CertificateFacts> certs;
  for (int i = 0; i < 20; ++i) certs.push_back(RandomCertificate(rng));
  for (size_t chunk_bytes : {size_t{1}, size_t{300}, size_t{4096}, size_t{32768}, size_t{200000}}) {
    TempDir dir;
    std::vector<SweepRecord> sweeps;
    std::vector<ProbeRecord> probes;
    {
      auto w =
          RecordFileWriter::Create(dir.File("p.msr"), TestHeader(), {.chunk_bytes = chunk_bytes});
      REQUIRE(w.ok());
      auto sink = (*w)->NewSink();
      for (int i = 0; i < 3000; ++i) {
        if (rng() % 2) {
          sweeps.push_back(RandomSweep(rng));
          sink->Add(sweeps.back());
        } else {
          probes.push_back(RandomProbe(rng, certs));
          sink->Add(probes.back());
        }
      }
      sink.reset();
      REQUIRE((*w)->Close().ok());
    }
    auto c = ReadFileContents(dir.File("p.msr"));
    REQUIRE(c.ok());
    CHECK(c->corruptions.empty());
    CHECK(c->sweeps == sweeps);
    REQUIRE(c->probes.size() == probes.size());
    for (size_t i = 0; i < probes.size(); ++i) REQUIRE(c->probes[i] == probes[i]);

    // The same file read for summaries only: tails and certificates skipped, the rest equal.
    auto reader = RecordFileReader::Open(dir.File("p.msr"));
    REQUIRE(reader.ok());
    SummaryVisitor summaries;
    int corruptions = 0;
    ReadStats stats = (*reader)->Scan(&summaries, [&](const Corruption&) { ++corruptions; });
    CHECK(corruptions == 0);
    CHECK(summaries.certificates == 0);
    CHECK(stats.probe_records == probes.size());
    CHECK(summaries.sweeps == sweeps);
    REQUIRE(summaries.probes.size() == probes.size());
    for (size_t i = 0; i < probes.size(); ++i) REQUIRE(summaries.probes[i] == SummaryOf(probes[i]));
  }
}

TEST_CASE("round trip: attempts of 1, 2 and 255, with and without a domain") {
  TempDir dir;
  std::vector<ProbeRecord> probes;
  int64_t t = 1764403200000000;
  for (uint8_t attempts : {uint8_t{1}, uint8_t{2}, uint8_t{255}}) {
    for (const char* domain : {"", "smtp.mail.example"}) {
      ProbeRecord p;
      p.address = 0xc6120000u + static_cast<uint32_t>(probes.size());
      p.port = 25;
      p.protocol = Protocol::kSmtp;
      p.outcome = attempts == 1 ? ProbeOutcome::kStartTlsOk : ProbeOutcome::kConnectTimeout;
      p.flags = attempts == 1 ? kStartTlsAdvertised | kHeloFallback : 0;
      p.start_us = t += 1000;
      p.banner = attempts == 1 ? "220 mail.example ESMTP" : "";
      p.domain = domain;
      p.attempts = attempts;
      probes.push_back(p);
    }
  }
  SweepRecord sweep;
  sweep.address = 0xc6120100u;
  sweep.port = 25;
  sweep.time_us = t;
  {
    auto w = RecordFileWriter::Create(dir.File("a.msr"), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    for (const ProbeRecord& p : probes) {
      sink->Add(p);
      if (&p == &probes[2]) sink->Add(sweep);
    }
    sink.reset();
    REQUIRE((*w)->Close().ok());
  }
  auto c = ReadFileContents(dir.File("a.msr"));
  REQUIRE(c.ok());
  CHECK(c->corruptions.empty());
  CHECK(c->probes == probes);
  CHECK(c->sweeps == std::vector<SweepRecord>{sweep});

  auto reader = RecordFileReader::Open(dir.File("a.msr"));
  REQUIRE(reader.ok());
  SummaryVisitor summaries;
  int corruptions = 0;
  (*reader)->Scan(&summaries, [&](const Corruption&) { ++corruptions; });
  CHECK(corruptions == 0);
  CHECK(summaries.sweeps == std::vector<SweepRecord>{sweep});
  REQUIRE(summaries.probes.size() == probes.size());
  for (size_t i = 0; i < probes.size(); ++i) CHECK(summaries.probes[i] == SummaryOf(probes[i]));
}

TEST_CASE("round trip: file header with every field set") {
  TempDir dir;
  FileHeader h = TestHeader();
  h.ports.clear();
  for (int p = 1; p < 2000; p += 3) h.ports.push_back(static_cast<uint16_t>(p));
  h.start_time_us = -5;
  h.seed = ~0ull;
  {
    auto w = RecordFileWriter::Create(dir.File("h.msr"), h);
    REQUIRE(w.ok());
  }
  auto c = ReadFileContents(dir.File("h.msr"));
  REQUIRE(c.ok());
  h.format_version = kFormatVersion;
  CHECK(c->header.file_id != 0);
  h.file_id = c->header.file_id;
  CHECK(c->header == h);
}

TEST_CASE("round trip: certificate body stored once per writer thread, leaf resolved") {
  TempDir dir;
  std::mt19937_64 rng(1);
  CertificateFacts cert = RandomCertificate(rng);
  cert.der = std::string(2000, 'd');
  ProbeRecord p;
  p.port = 993;
  p.outcome = ProbeOutcome::kImplicitTlsOk;
  p.tls.leaf = cert;
  uint64_t bytes;
  {
    auto w = RecordFileWriter::Create(dir.File("c.msr"), TestHeader(), {.chunk_bytes = 512});
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    for (uint32_t i = 0; i < 1000; ++i) {
      p.address = i;
      sink->Add(p);
    }
    sink.reset();
    REQUIRE((*w)->Close().ok());
    bytes = (*w)->stats().bytes;
  }
  CHECK(bytes < 1000 * 100 + 4000);
  auto c = ReadFileContents(dir.File("c.msr"));
  REQUIRE(c.ok());
  CHECK(c->stats.certificates == 1);
  REQUIRE(c->probes.size() == 1000);
  CHECK(c->probes[999].tls.leaf == cert);
}

// Lab-like: random addresses in 198.18.0.0/15, 7 mail ports, two OS fingerprints, ~100k pps.
TEST_CASE("size: a sweep record takes at most 8 bytes on average") {
  TempDir dir;
  std::mt19937_64 rng(3);
  const uint16_t ports[] = {25, 110, 143, 465, 587, 993, 995};
  constexpr int kRecords = 200000;
  uint64_t bytes;
  {
    auto w = RecordFileWriter::Create(dir.File("s.msr"), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    int64_t t = 1764403200000000;
    for (int i = 0; i < kRecords; ++i) {
      SweepRecord r;
      r.address = 0xc6120000u + static_cast<uint32_t>(rng() % 131072);
      r.port = ports[rng() % 7];
      r.status = rng() % 4 == 0 ? SweepStatus::kClosed : SweepStatus::kOpen;
      r.ttl = rng() % 2 ? 64 : 128;
      r.window = r.status == SweepStatus::kClosed ? 0 : (r.ttl == 64 ? 64240 : 65535);
      t += static_cast<int64_t>(rng() % 20);
      r.time_us = t;
      sink->Add(r);
    }
    sink.reset();
    REQUIRE((*w)->Close().ok());
    bytes = (*w)->stats().bytes;
  }
  double per_record = static_cast<double>(bytes) / kRecords;
  INFO("bytes per sweep record: " << per_record);
  CHECK(per_record <= 8.0);
}

TEST_CASE("size: a probe record without a new certificate takes at most 64 bytes on lab data") {
  TempDir dir;
  std::mt19937_64 rng(4);
  std::vector<CertificateFacts> certs;
  for (int i = 0; i < 4; ++i) certs.push_back(RandomCertificate(rng));
  const uint16_t ports[] = {25, 110, 143, 465, 587, 993, 995};
  const char* banners[] = {"+OK Dovecot (Debian) ready.",
                           "* OK [CAPABILITY IMAP4rev1 SASL-IR "
                           "LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot "
                           "(Debian) ready.",
                           "220 mail.lab.example ESMTP Postfix (Debian/GNU)"};
  constexpr int kRecords = 50000;
  uint64_t bytes;
  {
    auto w = RecordFileWriter::Create(dir.File("p.msr"), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    int64_t t = 1764403200000000;
    for (int i = 0; i < kRecords; ++i) {
      ProbeRecord p;
      p.address = 0xc6120000u + static_cast<uint32_t>(rng() % 131072);
      p.port = ports[rng() % 7];
      p.protocol = ProtocolForPort(p.port);
      p.tls_mode = TlsModeForPort(p.port);
      int profile = static_cast<int>(rng() % 4);
      p.outcome = profile == 1 ? ProbeOutcome::kPlaintextOnly : ProbeOutcome::kStartTlsOk;
      p.flags = profile == 1 ? kPlaintextLoginOffered | kCapabilitiesRead
                             : kStartTlsAdvertised | kStartTlsAccepted | kTlsHandshakeOk;
      t += static_cast<int64_t>(rng() % 2000);
      p.start_us = t;
      p.connect_us = 200 + static_cast<uint32_t>(rng() % 3000);
      p.duration_us = 20000 + static_cast<uint32_t>(rng() % 100000);
      p.banner = banners[static_cast<int>(p.protocol) - 1];
      p.capabilities = profile == 1 ? "CAPA TOP UIDL USER SASL PLAIN" : "CAPA TOP UIDL STLS";
      p.auth_mechanisms = "PLAIN LOGIN";
      if (profile != 1) {
        p.capabilities_tls = "CAPA TOP UIDL USER SASL PLAIN";
        p.tls.version = profile == 3 ? 0x0301 : 0x0304;
        p.tls.cipher = profile == 3 ? "ECDHE-RSA-AES256-SHA" : "TLS_AES_256_GCM_SHA384";
        p.tls.chain_length = 1;
        p.tls.leaf = certs[rng() % certs.size()];
      }
      sink->Add(p);
    }
    sink.reset();
    REQUIRE((*w)->Close().ok());
    bytes = (*w)->stats().bytes;
  }
  double per_record = static_cast<double>(bytes) / kRecords;
  INFO("bytes per probe record: " << per_record);
  CHECK(per_record <= 64.0);
}

}  // namespace
}  // namespace mailsweep::results
