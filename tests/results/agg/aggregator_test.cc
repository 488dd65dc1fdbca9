// results/agg/aggregator.h on synthetic records with a geo CSV, each case both with per-host
// details and without: counts equal the generator's truth or an oracle; several files; compacted
// lists; the latest probe wins; policies.
#include "results/agg/aggregator.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "results/agg/classification.h"
#include "results/agg/geo.h"
#include "results/agg/synthetic.h"
#include "results/format/record_writer.h"
#include "tests/results/agg/report_fixture.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::Fixture;
using testing::TempDir;
using testing::TestHeader;

// Every roll-up test runs both ways: with per-host details (lists of 24-byte tuples joined per
// address and protocol) and without (the summary-only reader, 8-byte tuples joined per address).
TEST_CASE("report: counts per country x protocol x class equal the synthetic truth") {
  Fixture f(3000);
  for (int threads : {1, 3}) {
    for (bool hosts : {true, false}) {
      CAPTURE(threads, hosts);
      Aggregator agg({.policy = Policy::kShadowServer,
                      .geo = f.geo.get(),
                      .threads = threads,
                      .collect_hosts = hosts,
                      .blocks_per_task = 2});
      REQUIRE(agg.AddFile(f.dir.File("a.msr")).ok());
      agg.Run();
      const Summary& s = agg.summary();
      CHECK(s.read.probe_records == f.truth.records);
      std::map<std::pair<std::string, int>, std::array<uint64_t, kHostClassCount>> got;
      for (const auto& [key, c] : s.counts) {
        got[{std::string(CountryCode::FromKey(static_cast<uint16_t>(key >> 8)).view()),
             static_cast<int>(key & 0xff)}] = c.classes;
      }
      CHECK(got == f.truth.counts);
      for (int p = 0; p < kMailProtocols; ++p)
        CHECK(s.totals[p].without_tls == f.truth.without_tls[p]);
      // One row per host and protocol that speaks it.
      CHECK(agg.hosts().size() == (hosts ? 3 * f.options.hosts : 0));
      // The progress line's source ends complete.
      const AggregateProgress p = agg.progress();
      CHECK(p.phase == AggregateProgress::kDone);
      CHECK(p.bytes_total > 0);
      CHECK(p.bytes_read == p.bytes_total);
      CHECK(p.records == f.truth.records);
      CHECK(p.partitions_joined == p.partitions);
    }
  }
}

TEST_CASE("report: several files (runs) of the same hosts count each host once") {
  Fixture f(500);
  SyntheticTruth again;
  REQUIRE(WriteSyntheticFile(f.dir.File("b.msr"), f.options, &again).ok());
  for (bool hosts : {true, false}) {
    Aggregator agg({.geo = f.geo.get(), .threads = 2, .collect_hosts = hosts});
    REQUIRE(agg.AddFile(f.dir.File("a.msr")).ok());
    REQUIRE(agg.AddFile(f.dir.File("b.msr")).ok());
    agg.Run();
    CHECK(agg.summary().read.probe_records == 2 * f.truth.records);
    for (int p = 0; p < kMailProtocols; ++p) {
      CHECK(agg.summary().totals[p].without_tls == f.truth.without_tls[p]);
    }
  }
}

TEST_CASE("report: compacted partition lists give the same counts, memory per key") {
  // Four runs of the same hosts, read with compaction at 64 tuples: the lists are compacted
  // again and again, and the roll-up must not change. Enough hosts that each of the summary
  // path's 1024 partitions (its minimum) gets well over 64 tuples.
  Fixture f(8000);
  for (const char* name : {"b.msr", "c.msr", "d.msr"}) {
    SyntheticTruth again;
    REQUIRE(WriteSyntheticFile(f.dir.File(name), f.options, &again).ok());
  }
  for (int threads : {1, 2}) {
    for (bool hosts : {true, false}) {
      CAPTURE(threads, hosts);
      Aggregator agg({.geo = f.geo.get(),
                      .threads = threads,
                      .collect_hosts = hosts,
                      .compact_tuples = 64,
                      .memory_budget = 1});  // compact as soon as a list reaches 64
      for (const char* name : {"a.msr", "b.msr", "c.msr", "d.msr"}) {
        REQUIRE(agg.AddFile(f.dir.File(name)).ok());
      }
      agg.Run();
      CHECK(agg.summary().read.probe_records == 4 * f.truth.records);
      std::map<std::pair<std::string, int>, std::array<uint64_t, kHostClassCount>> got;
      for (const auto& [key, c] : agg.summary().counts) {
        got[{std::string(CountryCode::FromKey(static_cast<uint16_t>(key >> 8)).view()),
             static_cast<int>(key & 0xff)}] = c.classes;
      }
      CHECK(got == f.truth.counts);
      CHECK(agg.hosts().size() == (hosts ? 3 * f.options.hosts : 0));
      // A list holds at most twice its distinct (address, port) keys or 64 tuples (+31 without
      // details, where tuples join a list up to 32 at a time): per worker 2 x 7 per host plus 95
      // per partition. Without compaction: every record, 4 x 7 per host.
      const uint64_t bound = 2 * 7 * f.options.hosts + (64 + 31) * agg.partitions();
      CHECK(agg.peak_tuples() <= threads * bound);
      if (threads == 1) CHECK(bound < 4 * 7 * f.options.hosts);
    }
  }
}

TEST_CASE("report: lists are not compacted while the tuples fit the memory budget") {
  // The same four runs of the same hosts; with a budget above what they take, every record's
  // tuple is kept (no compaction), and the counts are the same as with compaction.
  Fixture f(3000);
  for (const char* name : {"b.msr", "c.msr", "d.msr"}) {
    SyntheticTruth again;
    REQUIRE(WriteSyntheticFile(f.dir.File(name), f.options, &again).ok());
  }
  for (uint64_t budget : {uint64_t{1}, uint64_t{1} << 30}) {
    for (bool hosts : {true, false}) {
      CAPTURE(budget, hosts);
      Aggregator agg({.geo = f.geo.get(),
                      .collect_hosts = hosts,
                      .compact_tuples = 64,
                      .memory_budget = budget});
      for (const char* name : {"a.msr", "b.msr", "c.msr", "d.msr"}) {
        REQUIRE(agg.AddFile(f.dir.File(name)).ok());
      }
      agg.Run();
      std::map<std::pair<std::string, int>, std::array<uint64_t, kHostClassCount>> got;
      for (const auto& [key, c] : agg.summary().counts) {
        got[{std::string(CountryCode::FromKey(static_cast<uint16_t>(key >> 8)).view()),
             static_cast<int>(key & 0xff)}] = c.classes;
      }
      CHECK(got == f.truth.counts);
      if (budget > 1) {
        CHECK(agg.peak_tuples() == 4 * f.truth.records);  // all of them, none dropped
      } else {
        CHECK(agg.peak_tuples() < 4 * f.truth.records);  // compacted on the way
      }
    }
  }
}

TEST_CASE("report: the latest probe of a port wins across files") {
  TempDir dir;
  auto write = [&](const std::string& name, ProbeOutcome o, int64_t t) {
    auto w = RecordFileWriter::Create(dir.File(name), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    ProbeRecord p;
    p.address = 0xc6120001;
    p.port = 110;
    p.protocol = Protocol::kPop3;
    p.outcome = o;
    p.start_us = t;
    sink->Add(p);
  };
  write("old.msr", ProbeOutcome::kPlaintextOnly, 1'000'000'000'000'000);
  write("new.msr", ProbeOutcome::kStartTlsOk, 1'000'000'100'000'000);
  for (bool hosts : {true, false}) {
    Aggregator agg({.collect_hosts = hosts});
    REQUIRE(agg.AddFile(dir.File("new.msr")).ok());
    REQUIRE(agg.AddFile(dir.File("old.msr")).ok());
    agg.Run();
    CHECK(agg.summary().totals[0].classes[static_cast<int>(HostClass::kStartTls)] == 1);
    CHECK(agg.summary().totals[0].without_tls == 0);
    if (!hosts) continue;
    REQUIRE(agg.hosts().size() == 1);
    CHECK(agg.hosts()[0].country.view() == "ZZ");
  }
}

// Random probes (any outcome, flags and TLS version, hosts with any subset of the mail ports,
// some ports probed again later, other ports among them) in two files, rolled up by both paths
// under every policy, against an oracle written from the public classification rules: a map of
// the latest probe per (address, port), Classify and WithoutTls per host and protocol.
TEST_CASE("report: both paths equal an oracle on random probes, under every policy") {
  TempDir dir;
  std::mt19937_64 rng(5);
  const uint16_t ports[] = {25, 110, 143, 465, 587, 993, 995, 80};
  const uint16_t versions[] = {0, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x7f1c};
  std::map<std::pair<uint32_t, uint16_t>, ProbeRecord> latest;
  uint64_t records = 0;
  for (const char* name : {"a.msr", "b.msr"}) {
    auto w = RecordFileWriter::Create(dir.File(name), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    for (int i = 0; i < 6000; ++i) {
      ProbeRecord r;
      r.address = 0xc6120000u + static_cast<uint32_t>(rng() % 4096);
      r.port = ports[rng() % 8];
      r.protocol = ProtocolForPort(r.port);
      r.tls_mode = TlsModeForPort(r.port);
      r.outcome = static_cast<ProbeOutcome>(1 + rng() % 15);
      r.flags = static_cast<uint32_t>(rng() & 0xfff);
      r.tls.version = versions[rng() % 7];
      // Whole seconds apart (the roll-up keeps a port's latest second), unique per record.
      r.start_us = (1764403200 + static_cast<int64_t>(records) * 2) * 1000000 +
                   static_cast<int64_t>(rng() % 1000000);
      ++records;
      auto [it, fresh] = latest.try_emplace({r.address, r.port}, r);
      if (!fresh && r.start_us > it->second.start_us) it->second = r;
      sink->Add(r);
    }
    sink.reset();
    REQUIRE((*w)->Close().ok());
  }
  auto geo = GeoDb::FromCsvText(
      "198.18.0.0,198.18.3.255,FR\n198.18.4.0,198.18.7.255,JP\n198.18.8.0,198.18.11.255,BR\n");
  REQUIRE(geo.ok());

  for (Policy policy : {Policy::kShadowServer, Policy::kNoStartTls, Policy::kPlaintextLogin}) {
    // The oracle.
    std::map<uint32_t, CountryCounts> want;  // as Summary::counts
    std::array<std::array<uint64_t, 6>, kMailProtocols> want_versions{};
    std::vector<std::pair<uint32_t, int>> want_rows;  // per-host rows, in address order
    std::set<uint32_t> addresses;
    for (const auto& [key, r] : latest) addresses.insert(key.first);
    for (uint32_t address : addresses) {
      for (int proto = 0; proto < kMailProtocols; ++proto) {
        const ProtocolSlots ps = kProtocolSlots[proto];
        std::vector<PortOutcome> plain, implicit;
        std::vector<uint16_t> tls_versions;
        bool any = false;
        int tls = -1;
        for (int s = 0; s < ps.n_plain + ps.n_implicit; ++s) {
          auto it = latest.find({address, kMailPortNumbers[ps.first + s]});
          PortOutcome o;
          uint16_t version = 0;
          if (it != latest.end()) {
            o = {true, it->second.outcome, it->second.flags};
            version = it->second.tls.version;
            any = true;
          }
          const bool is_plain = s < ps.n_plain;
          (is_plain ? plain : implicit).push_back(o);
          if (tls < 0 && (is_plain ? StartTlsWorks(o) : ImplicitTlsWorks(o))) {
            tls = s;
            tls_versions.push_back(version);
          }
        }
        if (!any) continue;
        const HostClass cls = Classify(plain, implicit);
        if (cls != HostClass::kNoService) want_rows.emplace_back(address, proto);
        CountryCounts& c =
            want[uint32_t{(*geo)->Country(address).key()} << 8 | static_cast<uint32_t>(proto)];
        ++c.classes[static_cast<int>(cls)];
        if (WithoutTls(policy, cls, plain)) ++c.without_tls;
        if (tls >= 0) {
          const uint8_t code = TlsVersionCode(tls_versions[0]);
          ++want_versions[proto][code == 0 ? 5 : code - 1];
        }
      }
    }
    for (auto [threads, partition_bits] : {std::pair{1, 0u}, {2, 0u}, {1, 11u}, {2, 12u}}) {
      for (bool hosts : {true, false}) {
        CAPTURE(PolicyName(policy), threads, partition_bits, hosts);
        Aggregator agg({.policy = policy,
                        .geo = geo->get(),
                        .threads = threads,
                        .collect_hosts = hosts,
                        .compact_tuples = 256,
                        .partition_bits = partition_bits});
        REQUIRE(agg.AddFile(dir.File("a.msr")).ok());
        REQUIRE(agg.AddFile(dir.File("b.msr")).ok());
        agg.Run();
        CHECK(agg.summary().read.probe_records == records);
        REQUIRE(agg.summary().counts.size() == want.size());
        for (const auto& [key, c] : want) {
          CAPTURE(key);
          auto it = agg.summary().counts.find(key);
          REQUIRE(it != agg.summary().counts.end());
          CHECK(it->second.classes == c.classes);
          CHECK(it->second.without_tls == c.without_tls);
        }
        CHECK(agg.summary().tls_versions == want_versions);
        if (hosts) {  // one row per host x protocol with a service, sorted
          std::vector<std::pair<uint32_t, int>> rows;
          for (const HostRow& r : agg.hosts()) rows.emplace_back(r.address, r.protocol);
          CHECK(rows == want_rows);
        }
      }
    }
  }
}

TEST_CASE("report: the no-starttls and plaintext-login policies count differently") {
  Fixture f(800);
  Aggregator login({.policy = Policy::kPlaintextLogin, .geo = f.geo.get()});
  REQUIRE(login.AddFile(f.dir.File("a.msr")).ok());
  login.Run();
  // In the synthetic data only "plain" hosts offer a plaintext login: the same hosts.
  for (int p = 0; p < kMailProtocols; ++p) {
    CHECK(login.summary().totals[p].without_tls == f.truth.without_tls[p]);
  }
  CHECK(std::string(PolicyName(login.summary().policy)) == "plaintext-login");
}

}  // namespace
}  // namespace mailsweep::results
