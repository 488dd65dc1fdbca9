// Unit tests of the prober pool's parts that need no network: timer wheel, hand-off queue,
// target reader, text sinks.
#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

#include "engine/cli/text_record_sink.h"
#include "engine/prober/handoff_queue.h"
#include "engine/prober/probe_target_reader.h"
#include "engine/prober/timer_wheel.h"
#include "results/format/record_text.h"

namespace mailsweep::engine {
namespace {

TEST_CASE("TimerWheelFiresAtOrAfterDeadlineNeverBefore") {
  TimerWheel wheel(10, 64, 1000);
  wheel.Resize(8);
  wheel.Schedule(1, 1055);
  wheel.Schedule(2, 1005);
  std::vector<uint32_t> fired;
  auto fire = [&](uint32_t id) { fired.push_back(id); };
  wheel.Advance(1004, fire);
  CHECK(fired.empty());
  wheel.Advance(1010, fire);
  CHECK(fired == std::vector<uint32_t>{2});
  wheel.Advance(1050, fire);
  CHECK(fired.size() == 1);
  wheel.Advance(1060, fire);
  CHECK(fired == std::vector<uint32_t>{2, 1});
  CHECK(wheel.size() == 0);
  CHECK(wheel.NextTimeoutMs(1060) == -1);
}

TEST_CASE("TimerWheelHandlesDeadlinesBeyondOneRevolution") {
  TimerWheel wheel(10, 16, 0);  // one revolution = 160 ms
  wheel.Resize(4);
  wheel.Schedule(3, 1000);
  std::vector<uint32_t> fired;
  for (uint64_t t = 0; t < 1000; t += 7)
    wheel.Advance(t, [&](uint32_t id) { fired.push_back(id); });
  CHECK(fired.empty());
  wheel.Advance(1003, [&](uint32_t id) { fired.push_back(id); });
  CHECK(fired == std::vector<uint32_t>{3});
}

TEST_CASE("TimerWheelRescheduleAndCancel") {
  TimerWheel wheel(10, 64, 0);
  wheel.Resize(4);
  wheel.Schedule(0, 50);
  wheel.Schedule(1, 50);
  wheel.Schedule(0, 500);  // moved later
  wheel.Cancel(1);
  std::vector<uint32_t> fired;
  wheel.Advance(100, [&](uint32_t id) { fired.push_back(id); });
  CHECK(fired.empty());
  CHECK(wheel.armed(0));
  CHECK_FALSE(wheel.armed(1));
  // A fire callback may re-arm its own timer.
  wheel.Advance(500, [&](uint32_t id) {
    fired.push_back(id);
    wheel.Schedule(id, 700);
  });
  CHECK(fired == std::vector<uint32_t>{0});
  CHECK(wheel.armed(0));
}

TEST_CASE("TimerWheelPastDeadlineFiresOnNextAdvance") {
  TimerWheel wheel(10, 64, 1000);
  wheel.Resize(2);
  wheel.Advance(2000, [](uint32_t) {});
  wheel.Schedule(1, 1500);
  int n = 0;
  wheel.Advance(2000, [&](uint32_t) { ++n; });
  wheel.Advance(2010, [&](uint32_t) { ++n; });
  CHECK(n == 1);
}

// What a prober loop's queue carries: a trivially copyable (address, port) and more.
struct Item {
  uint32_t address;
  uint16_t port;
};

TEST_CASE("HandoffQueueIsBoundedAndFifo") {
  HandoffQueue<Item> q(4);
  CHECK(q.capacity() == 4);
  for (uint32_t i = 0; i < 4; ++i) CHECK(q.TryPush({i, 110}));
  CHECK_FALSE(q.TryPush({9, 110}));
  CHECK(q.ApproxSize() == 4);
  Item t;
  for (uint32_t i = 0; i < 4; ++i) {
    REQUIRE(q.TryPop(&t));
    CHECK(t.address == i);
  }
  CHECK_FALSE(q.TryPop(&t));
}

TEST_CASE("HandoffQueueManyProducersLoseNothing") {
  HandoffQueue<Item> q(1024);
  constexpr uint32_t kPerThread = 20000;
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < 3; ++p) {
    producers.emplace_back([&q, p] {
      for (uint32_t i = 0; i < kPerThread; ++i) {
        while (!q.TryPush({p * kPerThread + i, 25})) std::this_thread::yield();
      }
    });
  }
  std::set<uint32_t> seen;
  Item t;
  while (seen.size() < 3 * kPerThread) {
    if (q.TryPop(&t)) {
      CHECK(seen.insert(t.address).second);
    } else {
      std::this_thread::yield();
    }
  }
  for (auto& th : producers) th.join();
  CHECK(seen.size() == 3 * kPerThread);
}

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

results::ProbeRecord SampleRecord() {
  results::ProbeRecord r;
  r.address = 0xC6120005;
  r.port = 143;
  r.protocol = results::Protocol::kImap;
  r.outcome = results::ProbeOutcome::kStartTlsOk;
  r.flags = results::kStartTlsAdvertised | results::kTlsHandshakeOk;
  r.start_us = 1700000000000000;
  r.banner = "* OK \"quoted\" ready\r\n\x01\xff";
  r.tls.version = 0x0301;
  r.tls.cipher = "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA";
  r.tls.leaf.emplace();
  r.tls.leaf->subject_cn = "mail, inc";
  r.tls.leaf->sha256[0] = 0xab;
  return r;
}

TEST_CASE("CsvRecordQuotesAndJoinsBanner") {
  std::string c = ProbeRecordToCsv(SampleRecord());
  CHECK(c.rfind("2023-11-14 22:13:20,198.18.0.5,143,imap,starttls_ok,Y,N,Y,N,TLSv1.0,", 0) == 0);
  CHECK(c.find("\"mail, inc\"") != std::string::npos);
  CHECK(c.find('\n') == std::string::npos);
  CHECK(c.find("ready|") != std::string::npos);
}

TEST_CASE("SinksFromManyThreadsWriteWholeLines") {
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  {
    TextRecordSinkFactory factory(mem, TextFormat::kJsonLines);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&factory] {
        auto sink = factory.NewSink();
        for (int i = 0; i < 500; ++i) sink->Add(SampleRecord());
        CHECK(sink->Flush().ok());
      });
    }
    for (auto& th : threads) th.join();
  }
  fclose(mem);
  std::string out(buf, len);
  free(buf);
  size_t lines = 0;
  size_t pos = 0;
  const std::string one = results::ProbeToJson(SampleRecord()) + "\n";
  while (pos < out.size()) {
    REQUIRE(out.compare(pos, one.size(), one) == 0);
    pos += one.size();
    ++lines;
  }
  CHECK(lines == 2000);
}

}  // namespace
}  // namespace mailsweep::engine
