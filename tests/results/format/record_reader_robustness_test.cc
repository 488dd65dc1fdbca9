// Without libFuzzer: deterministic mutations of a valid file (bit flips, truncations, block
// shuffles, garbage) must never crash the reader, and what it delivers is bounded by what was
// written. The same inputs seed tests/results/fuzz_corpus for the libFuzzer target.
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "results/agg/synthetic.h"
#include "results/format/log_format.h"
#include "results/format/chunk_decoder.h"
#include "results/format/chunk_encoder.h"
#include "results/format/record_reader.h"
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

TEST_CASE("robustness: the fuzz seed corpus reads without crashing") {
  std::filesystem::path corpus = std::string(MAILSWEEP_TEST_DATA_DIR) + "/../fuzz_corpus";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(corpus)) {
    auto c = ReadBufferContents(e.path().string(), ReadAll(e.path().string()));
    (void)c;
    ++files;
  }
  CHECK(files >= 3);
}

}  // namespace
}  // namespace mailsweep::results
