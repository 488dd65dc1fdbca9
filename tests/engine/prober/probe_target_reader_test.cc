#include "engine/prober/probe_target_reader.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace mailsweep::engine {
namespace {

std::vector<ProbeTarget> ReadAll(ProbeTargetReader* r, std::vector<std::string> lines) {
  std::vector<ProbeTarget> out;
  for (const auto& l : lines) REQUIRE(r->ParseLine(l, &out).ok());
  return out;
}

TEST_CASE("TargetReaderIpPortLines") {
  ProbeTargetReader r({});
  auto t = ReadAll(&r, {"198.18.0.1,110\n", "# comment", "", " 198.18.0.2 , 993 \r\n"});
  REQUIRE(t.size() == 2);
  CHECK(t[0].address == 0xC6120001);
  CHECK(t[0].port == 110);
  CHECK(t[1].port == 993);
}

TEST_CASE("TargetReaderZmapSaddrCsvWithDefaultPorts") {
  ProbeTargetReader r({110, 143});
  auto t = ReadAll(&r, {"saddr\n", "198.18.0.7\n"});
  REQUIRE(t.size() == 2);
  CHECK(t[0].port == 110);
  CHECK(t[1].port == 143);
}

TEST_CASE("TargetReaderZmapSaddrSportColumns") {
  ProbeTargetReader r({});
  auto t = ReadAll(&r, {"saddr,sport,classification\n", "198.18.0.7,25,synack\n"});
  REQUIRE(t.size() == 1);
  CHECK(t[0].port == 25);
}

TEST_CASE("TargetReaderZgrab2Csv") {
  ProbeTargetReader r({143});
  auto t = ReadAll(&r, {"198.18.0.9, mail.example.org, tag1, 995\n", "198.18.0.10, , , \n"});
  REQUIRE(t.size() == 2);
  CHECK(t[0].port == 995);
  REQUIRE(!t[0].name.empty());
  CHECK(std::string(t[0].name.get()) == "mail.example.org");
  CHECK(t[1].port == 143);
  CHECK(t[1].name.empty());
}

TEST_CASE("TargetReaderZgrab2ShortLines") {
  // ZGrab2 omits trailing empty fields: "ip, domain" and "ip, domain, tag"; "ip,port" stays ours.
  ProbeTargetReader r({993});
  auto t = ReadAll(&r, {"198.18.0.1, imap.example.org\n", "198.18.0.2, mail.example.org, tls\n",
                        "198.18.0.3,143\n"});
  REQUIRE(t.size() == 3);
  CHECK(std::string(t[0].name.get()) == "imap.example.org");
  CHECK(t[0].port == 993);
  CHECK(std::string(t[1].name.get()) == "mail.example.org");
  CHECK(t[1].port == 993);
  CHECK(t[2].name.empty());
  CHECK(t[2].port == 143);
  std::vector<ProbeTarget> none;
  auto s = r.ParseLine(", mail.example.org, tls, 993", &none);  // ZGrab2 would resolve it
  CHECK_FALSE(s.ok());
  CHECK(std::string(s.message()).find("not resolved") != std::string::npos);
}

TEST_CASE("TargetReaderDomainColumnNamesEveryTargetOfTheLine") {
  ProbeTargetReader r({143, 993});
  auto t =
      ReadAll(&r, {"port,ip,domain\n", ",198.18.0.9,imap.example.org\n", "110,198.18.0.10,\n"});
  REQUIRE(t.size() == 3);
  CHECK(std::string(t[0].name.get()) == "imap.example.org");
  CHECK(std::string(t[1].name.get()) == "imap.example.org");
  CHECK(t[0].name.get() != t[1].name.get());  // each target owns its copy
  CHECK(t[1].port == 993);
  CHECK(t[2].port == 110);
  CHECK(t[2].name.empty());
}

TEST_CASE("TargetReaderRejectsNamesThatAreNotDnsNames") {
  ProbeTargetReader r({});
  std::vector<ProbeTarget> out;
  for (const char* bad : {"198.18.0.1, 198.18.0.1, t, 993", "198.18.0.1, mail..example, t, 993",
                          "198.18.0.1, .example, t, 993", "198.18.0.1, ex ample, t, 993",
                          "198.18.0.1, m\xc3\xa4il.example, t, 993"}) {
    auto s = r.ParseLine(bad, &out);
    CHECK_FALSE(s.ok());
    CHECK(std::string(s.message()).find("bad domain") != std::string::npos);
  }
  const std::string label64(64, 'a');
  CHECK_FALSE(r.ParseLine("198.18.0.1, " + label64 + ".example, t, 993", &out).ok());
  CHECK(out.empty());
  CHECK(r.ParseLine("198.18.0.1, _imaps._tcp.mail-1.example, t, 993", &out).ok());
  CHECK(r.ParseLine("198.18.0.1, *.example, t, 993", &out).ok());
  CHECK(r.ParseLine("198.18.0.1, mx1.example.org., t, 25", &out).ok());  // as dig prints it
  REQUIRE(out.size() == 3);
  CHECK(std::string(out[2].name.get()) == "mx1.example.org");
}

TEST_CASE("TargetReaderRejectsBadLinesAndSkipsIpv6") {
  ProbeTargetReader r({});
  std::vector<ProbeTarget> out;
  CHECK_FALSE(r.ParseLine("198.18.0.1,70000", &out).ok());
  CHECK_FALSE(r.ParseLine("198.18.0.300,110", &out).ok());
  CHECK_FALSE(r.ParseLine("198.18.0.1", &out).ok());  // no port and no -p
  CHECK(r.ParseLine("2001:db8::1,110", &out).ok());
  CHECK(r.skipped_ipv6() == 1);
  CHECK(out.empty());
}

}  // namespace
}  // namespace mailsweep::engine
