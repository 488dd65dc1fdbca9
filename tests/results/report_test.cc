// The roll-up and its outputs on synthetic records with a geo CSV: counts per country x
// protocol x class equal the generator's truth; policies; the ShadowServer CSV columns.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "results/agg/aggregator.h"
#include "results/agg/classification.h"
#include "results/agg/geo.h"
#include "results/agg/report_output.h"
#include "results/agg/shadowserver_csv.h"
#include "results/agg/synthetic.h"
#include "results/format/record_writer.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::TestHeader;

std::string DataFile(const std::string& name) {
  return std::string(MAILSWEEP_TEST_DATA_DIR) + "/shadowserver/" + name;
}

PortOutcome Port(ProbeOutcome o, uint32_t flags = 0) { return {true, o, flags}; }
const PortOutcome kAbsent{};

TEST_CASE("classification: the ShadowServer-like classes") {
  PortOutcome plain = Port(ProbeOutcome::kPlaintextOnly);
  PortOutcome starttls = Port(ProbeOutcome::kStartTlsOk);
  PortOutcome refused = Port(ProbeOutcome::kStartTlsRefused);
  PortOutcome failed = Port(ProbeOutcome::kStartTlsHandshakeFailed);
  PortOutcome implicit_ok = Port(ProbeOutcome::kImplicitTlsOk);
  PortOutcome implicit_bad = Port(ProbeOutcome::kImplicitTlsFailed);
  PortOutcome rst = Port(ProbeOutcome::kConnectRefused);
  auto C = [](PortOutcome a, PortOutcome b) { return Classify({&a, 1}, {&b, 1}); };
  CHECK(C(plain, kAbsent) == HostClass::kNoTls);
  CHECK(C(plain, rst) == HostClass::kNoTls);
  CHECK(C(plain, implicit_bad) == HostClass::kNoTls);
  CHECK(C(refused, rst) == HostClass::kNoTls);
  CHECK(C(failed, rst) == HostClass::kNoTls);
  CHECK(C(plain, implicit_ok) == HostClass::kPlaintextAndImplicit);
  CHECK(C(starttls, rst) == HostClass::kStartTls);
  CHECK(C(starttls, implicit_ok) == HostClass::kStartTls);
  CHECK(C(rst, implicit_ok) == HostClass::kImplicitOnly);
  CHECK(C(kAbsent, implicit_ok) == HostClass::kImplicitOnly);
  CHECK(C(rst, rst) == HostClass::kNoService);
  CHECK(C(Port(ProbeOutcome::kNotThisProtocol), implicit_bad) == HostClass::kNoService);
  CHECK(C(Port(ProbeOutcome::kPreauth), rst) == HostClass::kNoTls);
  // Ended after the greeting: a server of the protocol only when capabilities were read.
  CHECK(C(Port(ProbeOutcome::kIoTimeout), rst) == HostClass::kNoService);
  CHECK(C(Port(ProbeOutcome::kIoTimeout, kCapabilitiesRead), rst) == HostClass::kNoTls);
  // SMTP: 25 plain without STARTTLS, 587 with working STARTTLS -> TLS is reachable.
  PortOutcome smtp_plain[2] = {plain, starttls};
  CHECK(Classify(smtp_plain, {&rst, 1}) == HostClass::kStartTls);
}

TEST_CASE("classification: policies decide who is without TLS") {
  PortOutcome plain_login = Port(ProbeOutcome::kPlaintextOnly, kPlaintextLoginOffered);
  PortOutcome starttls_login = Port(ProbeOutcome::kStartTlsOk, kPlaintextLoginOffered);
  PortOutcome starttls = Port(ProbeOutcome::kStartTlsOk);
  CHECK(WithoutTls(Policy::kShadowServer, HostClass::kNoTls, {&plain_login, 1}));
  CHECK_FALSE(
      WithoutTls(Policy::kShadowServer, HostClass::kPlaintextAndImplicit, {&plain_login, 1}));
  CHECK(WithoutTls(Policy::kNoStartTls, HostClass::kPlaintextAndImplicit, {&plain_login, 1}));
  CHECK_FALSE(WithoutTls(Policy::kNoStartTls, HostClass::kStartTls, {&starttls_login, 1}));
  CHECK(WithoutTls(Policy::kPlaintextLogin, HostClass::kStartTls, {&starttls_login, 1}));
  CHECK_FALSE(WithoutTls(Policy::kPlaintextLogin, HostClass::kStartTls, {&starttls, 1}));
  CHECK(ParsePolicy("shadowserver") == Policy::kShadowServer);
  CHECK(ParsePolicy("plaintext-login") == Policy::kPlaintextLogin);
  CHECK_FALSE(ParsePolicy("nope").has_value());
}

TEST_CASE("classification: table-driven port traits equal the predicates for every outcome") {
  const uint32_t flag_sets[] = {0,
                                kCapabilitiesRead,
                                kPlaintextLoginOffered,
                                kCapabilitiesRead | kPlaintextLoginOffered,
                                kStartTlsAdvertised | kTlsHandshakeOk,
                                0xffffffffu,
                                0xffffffffu & ~uint32_t{kCapabilitiesRead}};
  for (int o = 0; o < 256; ++o) {
    for (uint32_t flags : flag_sets) {
      for (bool present : {true, false}) {
        CAPTURE(o, flags, present);
        const PortOutcome p{present, static_cast<ProbeOutcome>(o), flags};
        uint8_t want = 0;
        if (AnswersProtocol(p)) {
          want |= kTraitAnswers;
          if (flags & kPlaintextLoginOffered) want |= kTraitPlaintextLogin;
        }
        if (StartTlsWorks(p)) want |= kTraitStartTls;
        if (ImplicitTlsWorks(p)) want |= kTraitImplicitTls;
        REQUIRE(int{PortTraitsOf(p)} == int{want});
      }
    }
  }
  // Spot checks that the predicates themselves are what the table was built from.
  CHECK(PortTraitsOf({true, ProbeOutcome::kStartTlsOk, kPlaintextLoginOffered}) ==
        (kTraitAnswers | kTraitStartTls | kTraitPlaintextLogin));
  CHECK(PortTraitsOf({true, ProbeOutcome::kIoTimeout, 0}) == 0);
  CHECK(PortTraitsOf({true, ProbeOutcome::kIoTimeout, kCapabilitiesRead}) == kTraitAnswers);
  CHECK(PortTraitsOf({true, ProbeOutcome::kImplicitTlsOk, 0}) == kTraitImplicitTls);
}

TEST_CASE("report: TLS version codes for every 16-bit version") {
  for (uint32_t v = 0; v <= 0xffff; ++v) {
    const uint8_t want = v == 0 ? 0 : (v >= 0x0300 && v <= 0x0304) ? v - 0x0300 + 1 : 6;
    REQUIRE(int{TlsVersionCode(static_cast<uint16_t>(v))} == int{want});
  }
}

TEST_CASE("classification: mail port slots and their protocols, for every port") {
  for (uint32_t port = 0; port <= 0xffff; ++port) {
    int want = -1;
    for (int s = 0; s < kMailPorts; ++s) {
      if (kMailPortNumbers[s] == port) want = s;
    }
    REQUIRE(MailPortSlot(static_cast<uint16_t>(port)) == want);
  }
  for (int proto = 0; proto < kMailProtocols; ++proto) {
    const ProtocolSlots ps = kProtocolSlots[proto];
    for (int s = ps.first; s < ps.first + ps.n_plain + ps.n_implicit; ++s) {
      CHECK(ProtocolIndexOfSlot(s) == proto);
    }
  }
  CHECK(MailPortSlot(110) == 0);
  CHECK(MailPortSlot(465) == 6);
  CHECK(MailPortSlot(110 + 32) == -1);
}

TEST_CASE("geo: CSV ranges, gaps are ZZ, IPv6 lines and a header are skipped") {
  auto geo = GeoDb::FromCsvText(
      "first_ip,last_ip,country\n198.18.0.0,198.18.0.255,US\n::1,::2,DE\n"
      "198.18.2.0,198.18.2.9,de\n");
  REQUIRE(geo.ok());
  CHECK((*geo)->Country(0xc6120000).view() == "US");
  CHECK((*geo)->Country(0xc61200ff).view() == "US");
  CHECK((*geo)->Country(0xc6120100).view() == "ZZ");
  CHECK((*geo)->Country(0xc6120205).view() == "DE");
  CHECK((*geo)->Country(0xc612020a).view() == "ZZ");
  CHECK((*geo)->Country(0).view() == "ZZ");
  CHECK_FALSE(GeoDb::FromCsvText("1.2.3.4,1.2.3.0,US\n").ok());
  CHECK_FALSE(GeoDb::FromCsvText("a\nb,c,d\n").ok());
  CHECK_FALSE(GeoDb::FromCsvText("1.0.0.0,1.0.0.9,US\n1.0.0.5,1.0.0.20,DE\n").ok());
}

struct Fixture {
  TempDir dir;
  SyntheticOptions options;
  SyntheticTruth truth;
  std::unique_ptr<GeoDb> geo;

  explicit Fixture(uint64_t hosts) {
    options.hosts = hosts;
    REQUIRE(WriteSyntheticFile(dir.File("a.msr"), options, &truth).ok());
    auto g = GeoDb::FromCsvText(SyntheticGeoCsv(options));
    REQUIRE(g.ok());
    geo = *std::move(g);
  }
};

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

TEST_CASE("report: the default memory budget is a quarter of the machine or its cgroup") {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  CHECK(DefaultMemoryBudget(24 * kGiB, "") == 6 * kGiB);
  CHECK(DefaultMemoryBudget(24 * kGiB, "max\n") == 6 * kGiB);                  // cgroup v2
  CHECK(DefaultMemoryBudget(24 * kGiB, "9223372036854771712\n") == 6 * kGiB);  // v1, none
  CHECK(DefaultMemoryBudget(24 * kGiB, "8589934592\n") == 2 * kGiB);           // an 8 GiB job
  CHECK(DefaultMemoryBudget(24 * kGiB, "0") == 6 * kGiB);
  CHECK(DefaultMemoryBudget(24 * kGiB, "garbage") == 6 * kGiB);
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

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST_CASE("report: ShadowServer CSVs have exactly ShadowServer's header and one row per host") {
  Fixture f(1000);
  Aggregator agg({.geo = f.geo.get(), .threads = 2});
  REQUIRE(agg.AddFile(f.dir.File("a.msr")).ok());
  agg.Run();
  REQUIRE(WriteReportFiles(agg, f.dir.File("out"), "2026-11-29").ok());
  const char* names[] = {"pop3", "imap", "smtp"};
  for (int p = 0; p < kMailProtocols; ++p) {
    for (bool vulnerable : {false, true}) {
      std::string base = std::string("scan_") + names[p] + (vulnerable ? "_vulnerable" : "");
      std::string csv = ReadAll(f.dir.File("out/2026-11-29-" + base + ".csv"));
      std::string expected_header = FirstLine(ReadAll(DataFile(base + ".csv-header")));
      REQUIRE(!expected_header.empty());
      CHECK(FirstLine(csv) == expected_header);
      size_t columns = std::count(expected_header.begin(), expected_header.end(), ',') + 1;
      std::istringstream lines(csv);
      std::string line;
      std::getline(lines, line);
      std::set<std::string> ips;
      size_t rows = 0;
      while (std::getline(lines, line)) {
        ++rows;
        // No field in the synthetic data contains a comma or a quote.
        REQUIRE(static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1 == columns);
        size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
        ips.insert(line.substr(c2 + 1, c3 - c2 - 1));
      }
      CHECK(rows == ips.size());
      CHECK(rows == (vulnerable ? f.truth.without_tls[p] : f.options.hosts));
    }
  }
  std::string smtp = ReadAll(f.dir.File("out/2026-11-29-scan_smtp.csv"));
  CHECK(smtp.find("TLS_AES_256_GCM_SHA384") != std::string::npos);
  CHECK(smtp.find("mail1.lab.example") != std::string::npos);
  std::string html = ReadAll(f.dir.File("out/report.html"));
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK(html.find("http") == std::string::npos);  // self-contained: no external resources
  std::string json = ReadAll(f.dir.File("out/summary.json"));
  CHECK(json.find("\"policy\": \"shadowserver\"") != std::string::npos);
  CHECK(json.find(std::string("\"without_tls\": ") + std::to_string(f.truth.without_tls[0])) !=
        std::string::npos);
  std::string summary = ReadAll(f.dir.File("out/summary.csv"));
  CHECK(FirstLine(summary) == "country,protocol,class,hosts");
}

}  // namespace
}  // namespace mailsweep::results

namespace mailsweep::results {
namespace {

TEST_CASE("report: the asn column is filled from an ASN database") {
  Fixture f(50);
  auto asn = AsnDb::FromCsvText("198.18.0.0,198.19.255.255,64500,Lab\n");
  REQUIRE(asn.ok());
  Aggregator agg({.geo = f.geo.get(), .asn = asn->get()});
  REQUIRE(agg.AddFile(f.dir.File("a.msr")).ok());
  agg.Run();
  std::string csv = ShadowServerCsv(agg, 0, false);
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  size_t rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    // timestamp,severity,ip,protocol,port,hostname,tag,asn,...
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) fields.push_back(field);
    REQUIRE(fields.size() > 8);
    CHECK(fields[7] == "64500");
  }
  CHECK(rows == 50);
}

}  // namespace
}  // namespace mailsweep::results

namespace mailsweep::results {
namespace {

// The hostname column of the per-host CSVs: the name the host was probed under (ZGrab2 input's
// domain), the latest one across files; empty for hosts probed without a name.
TEST_CASE("report: the hostname column is the probes' domain") {
  TempDir dir;
  auto write = [&](const std::string& name, std::vector<ProbeRecord> records) {
    auto w = RecordFileWriter::Create(dir.File(name), TestHeader());
    REQUIRE(w.ok());
    auto sink = (*w)->NewSink();
    for (const ProbeRecord& r : records) sink->Add(r);
  };
  auto probe = [](uint32_t address, uint16_t port, std::string domain, int64_t t) {
    ProbeRecord p;
    p.address = address;
    p.port = port;
    p.protocol = ProtocolForPort(port);
    p.tls_mode = TlsModeForPort(port);
    p.outcome = ProbeOutcome::kPlaintextOnly;
    p.start_us = t;
    p.domain = std::move(domain);
    return p;
  };
  const int64_t t1 = 1'700'000'000'000'000, t2 = t1 + 60'000'000;
  write("old.msr", {probe(0xc6120001, 110, "pop.a.example", t1), probe(0xc6120002, 110, "", t1),
                    probe(0xc6120003, 143, "old.c.example", t1)});
  write("new.msr", {probe(0xc6120003, 143, "new.c.example", t2)});
  Aggregator agg({.threads = 2});
  REQUIRE(agg.AddFile(dir.File("new.msr")).ok());
  REQUIRE(agg.AddFile(dir.File("old.msr")).ok());
  agg.Run();
  auto hostnames = [&](int protocol) {
    std::map<std::string, std::string> by_ip;  // ip -> hostname
    std::istringstream lines(ShadowServerCsv(agg, protocol, false));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      std::vector<std::string> fields;
      std::stringstream ss(line);
      for (std::string field; std::getline(ss, field, ',');) fields.push_back(field);
      REQUIRE(fields.size() > 5);
      by_ip[fields[2]] = fields[5];  // timestamp,severity,ip,protocol,port,hostname,...
    }
    return by_ip;
  };
  auto pop3 = hostnames(0);
  CHECK(pop3.size() == 2);
  CHECK(pop3["198.18.0.1"] == "pop.a.example");
  CHECK(pop3["198.18.0.2"] == "");
  auto imap = hostnames(1);
  CHECK(imap.size() == 1);
  CHECK(imap["198.18.0.3"] == "new.c.example");
}

}  // namespace
}  // namespace mailsweep::results
