// Without libFuzzer: deterministic mutations of a valid file (bit flips, truncations, block
// shuffles, garbage) must never crash the reader, and what it delivers is bounded by what was
// written. The same inputs seed tests/fuzz/corpus/record_reader for the libFuzzer target.
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>

#include "results/agg/synthetic.h"
#include "results/format/log_format.h"
#include "results/format/chunk_decoder.h"
#include "results/format/chunk_encoder.h"
#include "results/format/record_reader.h"
#include "results/format/record_writer.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::ReadAll;
using testing::TempDir;

TEST_CASE("robustness: 3000 mutated files never crash and never invent records") {
  TempDir dir;
  SyntheticOptions o;
  o.hosts = 400;
  SyntheticTruth truth;
  REQUIRE(WriteSyntheticFile(dir.File("s.msr"), o, &truth).ok());
  const std::string original = ReadAll(dir.File("s.msr"));
  std::mt19937_64 rng(99);
  for (int i = 0; i < 3000; ++i) {
    std::string data = original;
    switch (i % 5) {
      case 0:
        for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k) {
          data[rng() % data.size()] ^= static_cast<char>(1 << (rng() % 8));
        }
        break;
      case 1:
        data.resize(rng() % data.size());
        break;
      case 2: {
        size_t at = rng() % data.size(), n = rng() % 200;
        for (size_t k = at; k < std::min(data.size(), at + n); ++k)
          data[k] = static_cast<char>(rng());
        break;
      }
      case 3: {
        size_t blocks = data.size() / log::kBlockSize;
        if (blocks >= 2) {
          size_t a = rng() % blocks, b = rng() % blocks;
          std::swap_ranges(data.begin() + a * log::kBlockSize,
                           data.begin() + (a + 1) * log::kBlockSize,
                           data.begin() + b * log::kBlockSize);
        }
        break;
      }
      case 4:
        data.insert(rng() % data.size(), std::string(rng() % 100, static_cast<char>(rng())));
        break;
    }
    auto c = ReadBufferContents("m", data);
    if (!c.ok()) continue;
    // Block swaps may deliver chunks twice at most; everything else never more than written.
    REQUIRE(c->probes.size() <= 2 * truth.records);
    REQUIRE(c->sweeps.size() <= 2 * truth.records);
  }
}

// The CRC keeps most damage away from the decoder; here mutated chunks reach it directly, read
// in full and for summaries only (which skips probe tails and certificates unread).
TEST_CASE("robustness: 3000 mutated chunks decode or fail cleanly, in full and summary-only") {
  SyntheticOptions o;
  o.hosts = 40;
  ChunkEncoder encoder;
  int64_t t = 1764403200000000;
  for (uint16_t port : {110, 995, 143, 993, 25, 587, 465}) {
    for (uint64_t i = 0; i < o.hosts; ++i) {
      encoder.Add(SyntheticProbe(o, SyntheticAddress(o, i), port, t += 3));
    }
  }
  const std::string original(encoder.data());
  struct Counting : RecordVisitor {
    bool summary = false;
    uint64_t probes = 0, certificates = 0, bytes = 0;
    bool SummaryOnly() const override { return summary; }
    void OnProbe(const ProbeView& v) override {
      ++probes;
      bytes += v.banner.size() + v.capabilities.size() + v.tls_cipher.size() + v.domain.size();
    }
    void OnCertificate(const CertificateFacts&) override { ++certificates; }
  };
  for (bool summary : {false, true}) {
    Counting intact;
    intact.summary = summary;
    std::string error;
    ChunkDecoder decoder;
    REQUIRE(decoder.Decode(original, &intact, &error));
    CHECK(intact.probes == 7 * o.hosts);
    CHECK((intact.certificates == 0) == summary);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string data = original;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
      data[1 + rng() % (data.size() - 1)] = static_cast<char>(rng());
    }
    if (i % 3 == 0) data.resize(rng() % data.size());
    for (bool summary : {false, true}) {
      Counting v;
      v.summary = summary;
      std::string error;
      ChunkDecoder decoder;
      const bool ok = decoder.Decode(data, &v, &error);
      CHECK((ok || !error.empty()));
      // A record is at least 6 bytes: no decoder can find more records than that allows.
      REQUIRE(v.probes <= data.size() / 6);
      REQUIRE(v.bytes <= data.size() * 10);
    }
  }
}

// What a file of the corpus holds, from its name: "found-*" (inputs libFuzzer found, a few bytes)
// and "*torn-header*" have no intact file header; "header-and-some" is a header and a torn tail;
// "mixed-N" holds N hosts x 7 ports of sweep and probe records, "probes-N" probe records only,
// "seed-vK-*" a file of format version K. A file whose name says nothing fails the test.
struct Expectation {
  bool readable = false;
  bool torn_tail = false;
  int64_t sweeps = -1, probes = -1;  // -1: any number
  uint32_t version = 0;              // 0: any
};

Expectation ExpectationOf(const std::string& name) {
  Expectation e;
  auto number_after = [&name](const std::string& prefix) {
    return std::stoll(name.substr(prefix.size()));
  };
  if (name.rfind("found-", 0) == 0 || name.find("torn-header") != std::string::npos) return e;
  e.readable = true;
  if (name.rfind("header-and-some", 0) == 0) {
    e.torn_tail = true;
    e.sweeps = e.probes = 0;
  } else if (name.rfind("mixed-", 0) == 0) {
    e.sweeps = e.probes = 7 * number_after("mixed-");
  } else if (name.rfind("probes-", 0) == 0) {
    e.sweeps = 0;
    e.probes = 7 * number_after("probes-");
  } else if (name.rfind("seed-v", 0) == 0) {
    e.version = static_cast<uint32_t>(number_after("seed-v"));
  } else {
    FAIL("no expectation for corpus file " << name << ": name it by what it holds");
  }
  return e;
}

// Every corpus file either is refused for want of a header, or reads with exactly the damage its
// name says, and its records, written again by this version's writer, read back the same.
TEST_CASE("robustness: each fuzz seed corpus file reads as its name says, and re-encodes") {
  const std::filesystem::path corpus = std::string(MAILSWEEP_TEST_DATA_DIR) + "/../../fuzz/corpus/record_reader";
  int files = 0, readable = 0;
  for (const auto& e : std::filesystem::directory_iterator(corpus)) {
    const std::string name = e.path().filename().string();
    CAPTURE(name);
    const Expectation want = ExpectationOf(name);
    auto c = ReadBufferContents(name, ReadAll(e.path().string()));
    ++files;
    if (!want.readable) {
      REQUIRE_FALSE(c.ok());
      CHECK(c.status().code() == absl::StatusCode::kDataLoss);
      CHECK(std::string(c.status().message()).find("no intact file header") != std::string::npos);
      continue;
    }
    REQUIRE(c.ok());
    ++readable;
    CHECK(c->stats.corruptions == 0);
    CHECK((c->stats.torn_tail_bytes > 0) == want.torn_tail);
    REQUIRE(c->corruptions.size() == (want.torn_tail ? 1u : 0u));
    if (want.torn_tail) {
      CHECK(c->corruptions[0].torn_tail);
      CHECK(c->corruptions[0].bytes == c->stats.torn_tail_bytes);
    }
    if (want.version != 0) CHECK(c->header.format_version == want.version);
    if (want.sweeps >= 0) CHECK(static_cast<int64_t>(c->sweeps.size()) == want.sweeps);
    if (want.probes >= 0) CHECK(static_cast<int64_t>(c->probes.size()) == want.probes);
    CHECK(c->stats.sweep_records == c->sweeps.size());
    CHECK(c->stats.probe_records == c->probes.size());

    TempDir dir;
    {
      auto w = RecordFileWriter::Create(dir.File("again.msr"), c->header);
      REQUIRE(w.ok());
      auto sink = (*w)->NewSink();
      for (const SweepRecord& r : c->sweeps) sink->Add(r);
      for (const ProbeRecord& r : c->probes) sink->Add(r);
      sink.reset();
      REQUIRE((*w)->Close().ok());
    }
    auto again = ReadFileContents(dir.File("again.msr"));
    REQUIRE(again.ok());
    CHECK(again->header.format_version == kFormatVersion);
    FileHeader header = c->header;
    header.format_version = kFormatVersion;
    header.file_id = again->header.file_id;  // each file its own
    CHECK(again->header == header);
    CHECK(again->sweeps == c->sweeps);
    CHECK(again->probes == c->probes);
    CHECK(again->stats.corruptions + again->stats.torn_tail_bytes == 0);
  }
  CHECK(files >= 10);
  CHECK(readable >= 5);
}

}  // namespace
}  // namespace mailsweep::results
