#include "tests/probes/session_harness.h"

#include <catch2/catch.hpp>
#include <string_view>

namespace mailsweep::probes::testing {

const std::vector<std::vector<size_t>> kSplits = {{0}, {1}, {2}, {3, 1, 5}, {7}, {13, 1, 2}};

namespace {

results::ProbeRecord RecordFor(uint16_t port) {
  results::ProbeRecord rec;
  rec.port = port;
  rec.tls_mode = results::TlsModeForPort(port);
  return rec;
}

}  // namespace

Stepped::Stepped(uint16_t port, const SessionOptions& options)
    : rec(RecordFor(port)), opt(options), session(&rec, &opt) {}

Run Play(uint16_t port, const std::vector<Turn>& turns, const std::vector<size_t>& split,
         SessionOptions opt) {
  Run run;
  run.rec.port = port;
  run.rec.protocol = results::ProtocolForPort(port);
  run.rec.tls_mode = results::TlsModeForPort(port);
  Session s(&run.rec, &opt);
  Action a = s.Start();
  for (size_t t = 0; t < turns.size(); ++t) {
    const Turn& turn = turns[t];
    INFO("turn " << t << " expects client '" << turn.client << "'");
    if (turn.client.empty()) {
      REQUIRE(a.step == Step::kWait);
    } else if (turn.client == "<TLS>" || turn.client == "<TLS-FAIL>") {
      REQUIRE(a.step == Step::kStartTls);
      REQUIRE(s.awaiting_tls());
      a = turn.client == "<TLS>" ? s.OnTlsEstablished() : s.OnTlsFailed();
      if (a.step == Step::kDone) break;
      if (turn.server.empty()) continue;
      // The client may have to speak first inside TLS (STARTTLS: capabilities again).
      if (a.step == Step::kSend) {
        REQUIRE(t + 1 < turns.size());
        continue;
      }
    } else {
      REQUIRE(a.step == Step::kSend);
      REQUIRE(std::string(a.bytes) == turn.client);
    }
    // Feed the server's answer in chunks; the session must not act before the answer is whole.
    const std::string& data = turn.server;
    size_t pos = 0, k = 0;
    while (pos < data.size()) {
      size_t n = split[k++ % split.size()];
      if (n == 0 || pos + n > data.size()) n = data.size() - pos;
      a = s.OnBytes(std::string_view(data).substr(pos, n));
      pos += n;
      if (a.step != Step::kWait) break;
    }
    if (a.step != Step::kDone && a.step != Step::kStartTls) {
      REQUIRE(pos == data.size());
    }
    if (a.step == Step::kDone) break;
  }
  run.last = a;
  run.last_bytes = std::string(a.bytes);
  REQUIRE(a.step == Step::kDone);
  REQUIRE(s.done());
  return run;
}

Run PlayAll(uint16_t port, const std::vector<Turn>& turns, SessionOptions opt) {
  Run first = Play(port, turns, kSplits[0], opt);
  for (size_t i = 1; i < kSplits.size(); ++i) {
    INFO("split pattern " << i);
    Run r = Play(port, turns, kSplits[i], opt);
    REQUIRE(r.rec == first.rec);
    REQUIRE(r.last_bytes == first.last_bytes);
  }
  return first;
}

}  // namespace mailsweep::probes::testing
