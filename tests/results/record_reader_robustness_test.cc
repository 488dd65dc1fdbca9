// Without libFuzzer: deterministic mutations of a valid file (bit flips, truncations, block
// shuffles, garbage) must never crash the reader, and what it delivers is bounded by what was
// written. The same inputs seed tests/results/fuzz_corpus for the libFuzzer target.
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "results/log_format.h"
#include "results/record_reader.h"
#include "results/synthetic.h"
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
