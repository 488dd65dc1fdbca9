#include "engine/cli/text_record_sink.h"

#include <stdio.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "results/format/record_text.h"

namespace mailsweep::engine {
namespace {

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
