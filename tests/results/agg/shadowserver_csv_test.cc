// results/agg/shadowserver_csv.h and the files report_output.h writes: exactly ShadowServer's
// header and one row per host, the asn and hostname columns, and the summary files beside them.
#include "results/agg/shadowserver_csv.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "results/agg/aggregator.h"
#include "results/agg/geo.h"
#include "results/agg/report_output.h"
#include "results/format/record_writer.h"
#include "tests/results/agg/report_fixture.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::Fixture;
using testing::ReadAll;
using testing::TempDir;
using testing::TestHeader;

std::string DataFile(const std::string& name) {
  return std::string(MAILSWEEP_TEST_DATA_DIR) + "/shadowserver/" + name;
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
