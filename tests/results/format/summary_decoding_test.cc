// ChunkDecoder::DecodeSummaries with a handler of the caller's (results/format/chunk_decoder.h)
// against the full decoding of the same chunks.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "results/agg/synthetic.h"
#include "results/format/chunk_decoder.h"
#include "results/format/chunk_encoder.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

// Either a sweep record or a probe summary, in the order they were handed over.
struct Event {
  bool sweep;
  SweepRecord s;
  ProbeSummary p;
  bool operator==(const Event& o) const {
    return sweep == o.sweep &&
           (sweep ? s == o.s
                  : p.address == o.p.address && p.port == o.p.port && p.protocol == o.p.protocol &&
                        p.tls_mode == o.p.tls_mode && p.outcome == o.p.outcome &&
                        p.tls_version == o.p.tls_version && p.flags == o.p.flags &&
                        p.start_us == o.p.start_us);
  }
};

struct Recorder {
  std::vector<Event> events;
  void OnSweep(const SweepRecord& r) { events.push_back({true, r, {}}); }
  void OnSummary(const ProbeSummary& s) { events.push_back({false, {}, s}); }
};

// The full decoding, reduced to the same events.
struct FullVisitor : RecordVisitor {
  std::vector<Event> events;
  void OnSweep(const SweepRecord& r) override { events.push_back({true, r, {}}); }
  void OnProbe(const ProbeView& v) override { events.push_back({false, {}, v}); }
};

std::string RandomChunk(std::mt19937_64& rng) {
  ChunkEncoder encoder;
  SyntheticOptions o;
  o.hosts = 50;
  int64_t t = 1764403200000000;
  for (int i = 0; i < 300; ++i) {
    t += static_cast<int64_t>(rng() % 5000000);
    // Steps that do not fit the fixed time field (escaped), backwards too.
    if (rng() % 16 == 0) t += (rng() % 2 ? 1 : -1) * (int64_t{1} << 40);
    if (rng() % 3 == 0) {
      SweepRecord s;
      s.address = static_cast<uint32_t>(rng());
      s.port = static_cast<uint16_t>(rng() % 4 == 0 ? rng() : 993);
      s.status = static_cast<SweepStatus>(1 + rng() % 3);
      s.ttl = static_cast<uint8_t>(rng());
      s.window = static_cast<uint16_t>(rng() % 2 ? 64240 : rng());
      s.time_us = t;
      encoder.Add(s);
    } else {
      ProbeRecord p = SyntheticProbe(o, SyntheticAddress(o, rng() % o.hosts),
                                     static_cast<uint16_t>(rng() % 2 ? 143 : rng()), t);
      p.flags = rng() % 8 == 0 ? static_cast<uint32_t>(rng()) : p.flags;  // some escapes
      if (rng() % 100 == 0) p.banner = std::string(70000, 'b');  // a rest of escaped length
      if (rng() % 5 == 0) p.attempts = static_cast<uint8_t>(2 + rng() % 254);
      encoder.Add(p);
    }
  }
  return std::string(encoder.data());
}

TEST_CASE("summary decoding: the handler sees what a full decoding sees, in order") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    const std::string chunk = RandomChunk(rng);
    FullVisitor full;
    std::string full_error;
    ChunkDecoder a;
    uint64_t full_sweeps = 0, full_probes = 0, full_certs = 0;
    REQUIRE(a.Decode(chunk, &full, &full_error, &full_sweeps, &full_probes, &full_certs));
    Recorder r;
    std::string error;
    ChunkDecoder b;
    uint64_t sweeps = 0, probes = 0, certs = 0;
    REQUIRE(b.DecodeSummaries(chunk, r, &error, &sweeps, &probes, &certs));
    CHECK(r.events == full.events);
    CHECK(sweeps == full_sweeps);
    CHECK(probes == full_probes);
    CHECK(certs == full_certs);
    CHECK(sweeps + probes == 300);
  }
}

TEST_CASE(
    "summary decoding: a chunk cut anywhere fails like the batching path, after the same "
    "records") {
  std::mt19937_64 rng(12);
  const std::string chunk = RandomChunk(rng);
  // The batching path: Decode for a summary-only visitor that does not decode chunks itself.
  struct Batching : RecordVisitor {
    std::vector<Event> events;
    bool SummaryOnly() const override { return true; }
    void OnSweep(const SweepRecord& r) override { events.push_back({true, r, {}}); }
    void OnProbeSummaries(std::span<const ProbeSummary> batch) override {
      for (const ProbeSummary& s : batch) events.push_back({false, {}, s});
    }
  };
  int failures = 0;
  for (size_t n = 0; n < chunk.size(); n += 1 + n / 64) {
    const std::string_view cut = std::string_view(chunk).substr(0, n);
    Batching batching;
    std::string batching_error;
    ChunkDecoder a;
    const bool batching_ok = a.Decode(cut, &batching, &batching_error);
    // The full decoding (its own loop, not DecodeSummaries) fails after the same records.
    FullVisitor full;
    std::string full_error;
    ChunkDecoder c;
    REQUIRE(c.Decode(cut, &full, &full_error) == batching_ok);
    CHECK(full.events == batching.events);
    Recorder r;
    std::string error;
    ChunkDecoder b;
    const bool ok = b.DecodeSummaries(cut, r, &error);
    REQUIRE(ok == batching_ok);
    CHECK(error == batching_error);
    CHECK(r.events == batching.events);
    failures += ok ? 0 : 1;
  }
  CHECK(failures > 0);  // cuts inside records fail; cuts between records decode
}

TEST_CASE("summary decoding: attempts in a version 4 chunk fail like the full decoding") {
  ChunkEncoder encoder;
  ProbeRecord p;
  p.port = 25;
  p.protocol = Protocol::kSmtp;
  encoder.Add(p);
  p.attempts = 2;
  encoder.Add(p);
  const std::string chunk(encoder.data());
  for (uint32_t version : {4u, 5u}) {
    CAPTURE(version);
    FullVisitor full;
    std::string full_error;
    ChunkDecoder a(version);
    const bool full_ok = a.Decode(chunk, &full, &full_error);
    CHECK(full_ok == (version == 5));
    Recorder r;
    std::string error;
    ChunkDecoder b(version);
    uint64_t probes = 0;
    CHECK(b.DecodeSummaries(chunk, r, &error, nullptr, &probes) == full_ok);
    CHECK(error == full_error);
    CHECK(r.events == full.events);
    CHECK(probes == (version == 5 ? 2 : 1));
  }
}

}  // namespace
}  // namespace mailsweep::results
