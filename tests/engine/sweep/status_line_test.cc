#include "engine/sweep/status_line.h"

#include <catch2/catch.hpp>
#include <string>

namespace mailsweep::engine {

TEST_CASE("Status line and JSON carry the counters", "[status_line]") {
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
