// probes::LineBuffer: lines come out whole however the bytes were split, CR LF or bare LF ends
// them, and a line over the cap is never returned but flags overflow, for any split.
#include "probes/line_buffer.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mailsweep::probes {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Feeds `input` in pieces of `piece` bytes, draining lines after each; returns the lines and
// whether the buffer overflowed (then it stops, as the session does).
std::vector<std::string> Feed(LineBuffer* b, std::string_view input, size_t piece,
                              bool* overflow) {
  std::vector<std::string> lines;
  *overflow = false;
  for (size_t at = 0; at < input.size(); at += piece) {
    b->Append(Bytes(input.substr(at, piece)));
    while (auto line = b->NextLine()) lines.emplace_back(*line);
    if (b->overflow()) {
      *overflow = true;
      break;
    }
  }
  return lines;
}

TEST_CASE("LineBufferSplitsCrLfAndBareLfLinesWhateverTheSplit") {
  const std::string input = "+OK ready\r\nUSER\nSASL PLAIN\r\n.\r\npartial";
  for (size_t piece : {1, 2, 3, 7, 100}) {
    LineBuffer b(64);
    bool overflow = true;
    auto lines = Feed(&b, input, piece, &overflow);
    CHECK_FALSE(overflow);
    REQUIRE(lines == std::vector<std::string>{"+OK ready", "USER", "SASL PLAIN", "."});
    CHECK(b.pending_bytes() == "partial");
    CHECK(b.pending() == 7);
  }
}

TEST_CASE("LineBufferLineExactlyAtTheCapIsReturned") {
  LineBuffer b(5);
  b.Append(Bytes("abcde\r\n"));
  auto line = b.NextLine();
  REQUIRE(line.has_value());
  CHECK(*line == "abcde");
  CHECK_FALSE(b.overflow());
}

TEST_CASE("LineBufferLineOverTheCapOverflowsForEverySplit") {
  for (size_t piece : {1, 2, 4, 100}) {
    LineBuffer b(5);
    bool overflow = false;
    auto lines = Feed(&b, "ok\r\nabcdef\r\nnext\r\n", piece, &overflow);
    CHECK(overflow);
    CHECK(lines == std::vector<std::string>{"ok"});  // the long line is never handed out
  }
}

TEST_CASE("LineBufferUnterminatedTailOverTheCapOverflows") {
  LineBuffer b(5);
  b.Append(Bytes("abcdef"));
  CHECK_FALSE(b.NextLine().has_value());
  CHECK(b.overflow());
}

TEST_CASE("LineBufferTrailingCrOfATailAtTheCapIsNotOverflow") {
  // "abcde\r" may be the start of "abcde\r\n": not yet too long.
  LineBuffer b(5);
  b.Append(Bytes("abcde\r"));
  CHECK_FALSE(b.overflow());
  b.Append(Bytes("\n"));
  auto line = b.NextLine();
  REQUIRE(line.has_value());
  CHECK(*line == "abcde");
}

TEST_CASE("LineBufferClearAndShrinkDropWhatWaits") {
  LineBuffer b(64);
  b.Append(Bytes("one\r\ntw"));
  REQUIRE(b.NextLine().has_value());
  b.Shrink();  // "tw" still waits: nothing is freed
  CHECK(b.pending_bytes() == "tw");
  b.Clear();
  CHECK(b.pending() == 0);
  b.Append(Bytes("three\r\n"));
  auto line = b.NextLine();
  REQUIRE(line.has_value());
  CHECK(*line == "three");
  b.Shrink();
  CHECK(b.pending() == 0);
}

}  // namespace
}  // namespace mailsweep::probes
