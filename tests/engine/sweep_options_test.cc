#include "engine/cli/sweep_options.h"

#include <catch2/catch.hpp>

#include "engine/cli/csv_record_sink.h"
#include "engine/sweep/status_line.h"

namespace mailsweep::engine {

TEST_CASE("Default source ports avoid the kernel's ephemeral range", "[sweep_options]") {
  PortRange r = DefaultSourcePorts(32768, 60999);
  CHECK(r.first == 61000);
  CHECK(r.count == 4536);
  r = DefaultSourcePorts(32768, 65535);  // nothing above: take 1024..32767
  CHECK(r.first == 1024);
  CHECK(r.count == 31744);
  r = DefaultSourcePorts(10000, 65000);  // 535 above, 8976 below
  CHECK(r.first == 1024);
  CHECK(r.count == 8976);
}

TEST_CASE("ParseSourcePorts", "[sweep_options]") {
  auto r = ParseSourcePorts("40000-40999");
  REQUIRE(r.ok());
  CHECK(r->first == 40000);
  CHECK(r->count == 1000);
  r = ParseSourcePorts("5555");
  REQUIRE(r.ok());
  CHECK(r->count == 1);
  CHECK_FALSE(ParseSourcePorts("0-10").ok());
  CHECK_FALSE(ParseSourcePorts("20-10").ok());
  CHECK_FALSE(ParseSourcePorts("1-70000").ok());
  CHECK_FALSE(ParseSourcePorts("a-b").ok());
}

TEST_CASE("CsvRecordSink formats ip,port,status,ttl,window,ts", "[sweep_options]") {
  char line[128];
  const size_t n = CsvRecordSink::FormatLine({.address = 0xC6120A0B,
                                              .port = 143,
                                              .status = results::SweepStatus::kOpen,
                                              .ttl = 64,
                                              .window = 65483,
                                              .time_us = 1764403200123456},
                                             line);
  CHECK(std::string(line, n) == "198.18.10.11,143,open,64,65483,1764403200.123456\n");
}

TEST_CASE("Status line and JSON carry the counters", "[sweep_options]") {
  SweepStats prev, now;
  now.elapsed_s = 2;
  prev.elapsed_s = 1;
  now.sending = true;
  now.positions_total = 1000;
  now.positions_done = 500;
  now.sent = 500;
  prev.sent = 250;
  now.send_elapsed_s = 2;
  now.replies = 20;
  now.open = 5;
  now.closed = 15;
  now.pcap_dropped = 3;
  const std::string line = FormatStatusLine(now, prev);
  CHECK(line.find("50%") != std::string::npos);
  CHECK(line.find("send: 500 250 p/s") != std::string::npos);
  CHECK(line.find("open 5 closed 15") != std::string::npos);
  CHECK(line.find("pcap 3") != std::string::npos);
  const std::string json = FormatStatusJson(now, prev);
  CHECK(json.find("\"sent\":500,") != std::string::npos);
  CHECK(json.find("\"send_rate\":250,") != std::string::npos);
  CHECK(json.find("\"phase\":\"sending\"") != std::string::npos);
  CHECK(json.back() == '\n');
  CHECK(FormatDuration(3725) == "1:02:05");
  CHECK(FormatCount(1234567) == "1.23M");
}

}  // namespace mailsweep::engine
