// results/format/header_chunk.h: the file header chunk round trips, and every damaged or foreign
// header is refused with the status FORMAT.md gives it.
#include "results/format/header_chunk.h"

#include <catch2/catch.hpp>
#include <string>

#include "results/format/coding.h"
#include "tests/results/test_util.h"

namespace mailsweep::results {
namespace {

using testing::TestHeader;

// Where the format version sits: after the type byte and the magic.
constexpr size_t kVersionOffset = 1 + kFileMagic.size();

TEST_CASE("header chunk: EncodeThenDecodeRoundTripsEveryField") {
  FileHeader want = TestHeader();
  auto got = DecodeHeaderChunk(EncodeHeaderChunk(want));
  REQUIRE(got.ok());
  want.format_version = kFormatVersion;  // filled by the encoder
  CHECK(*got == want);
}

TEST_CASE("header chunk: EmptyFieldsRoundTrip") {
  FileHeader want;
  want.format_version = kFormatVersion;
  want.shards = 0;
  want.start_time_us = -1;  // zigzag: before 1970 too
  auto got = DecodeHeaderChunk(EncodeHeaderChunk(want));
  REQUIRE(got.ok());
  CHECK(*got == want);
}

TEST_CASE("header chunk: EveryTruncationIsDataLoss") {
  const std::string chunk = EncodeHeaderChunk(TestHeader());
  for (size_t n = 0; n < chunk.size(); ++n) {
    CAPTURE(n);
    auto got = DecodeHeaderChunk(std::string_view(chunk).substr(0, n));
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("header chunk: BytesAfterTheKnownFieldsAreIgnored") {
  auto got = DecodeHeaderChunk(EncodeHeaderChunk(TestHeader()) + "later fields");
  REQUIRE(got.ok());
  CHECK(got->command_line == TestHeader().command_line);
}

TEST_CASE("header chunk: WrongTypeOrMagicIsNotARecordFile") {
  std::string chunk = EncodeHeaderChunk(TestHeader());
  for (size_t at : {size_t{0}, size_t{1}, kVersionOffset - 1}) {
    std::string bad = chunk;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    auto got = DecodeHeaderChunk(bad);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kDataLoss);
    CHECK(std::string(got.status().message()).find("not a mailsweep record file") !=
          std::string::npos);
  }
}

TEST_CASE("header chunk: VersionZeroIsDataLossAndANewerVersionUnimplemented") {
  std::string chunk = EncodeHeaderChunk(TestHeader());
  EncodeFixed32(chunk.data() + kVersionOffset, 0);
  auto zero = DecodeHeaderChunk(chunk);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.status().code() == absl::StatusCode::kDataLoss);
  EncodeFixed32(chunk.data() + kVersionOffset, kFormatVersion + 1);
  auto newer = DecodeHeaderChunk(chunk);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.status().code() == absl::StatusCode::kUnimplemented);
  for (uint32_t v = 1; v <= kFormatVersion; ++v) {  // older versions read
    EncodeFixed32(chunk.data() + kVersionOffset, v);
    auto old = DecodeHeaderChunk(chunk);
    REQUIRE(old.ok());
    CHECK(old->format_version == v);
  }
}

}  // namespace
}  // namespace mailsweep::results
