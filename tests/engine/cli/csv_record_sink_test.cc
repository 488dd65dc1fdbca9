#include "engine/cli/csv_record_sink.h"

#include <catch2/catch.hpp>
#include <string>

namespace mailsweep::engine {

TEST_CASE("CsvRecordSink formats ip,port,status,ttl,window,ts", "[csv_record_sink]") {
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

}  // namespace mailsweep::engine
