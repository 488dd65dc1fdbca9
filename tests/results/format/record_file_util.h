// Helpers of the record file tests (tests/results/format/record_file_test.cc and
// record_layouts_test.cc): numbered sweep records, a file written one chunk per record with each
// chunk's place, and re-sealing an edited fragment. Single-threaded test code.
#ifndef MAILSWEEP_TESTS_RESULTS_FORMAT_RECORD_FILE_UTIL_H_
#define MAILSWEEP_TESTS_RESULTS_FORMAT_RECORD_FILE_UTIL_H_

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "results/format/chunk_envelope.h"
#include "results/format/chunk_format.h"
#include "results/format/coding.h"
#include "results/format/crc32c.h"
#include "results/format/log_format.h"
#include "results/format/record_writer.h"
#include "tests/results/test_util.h"

namespace mailsweep::results::testing {

inline SweepRecord Sweep(uint32_t i) {
  SweepRecord r;
  r.address = 0xc6120000u + i * 7919u;
  r.port = (i % 3 == 0) ? 110 : 143;
  r.status = SweepStatus::kOpen;
  r.ttl = 64;
  r.window = 64240;
  r.time_us = 1764403200000000 + i * 13;
  return r;
}

// Writes records one chunk each (Flush after each) and returns each chunk's [start, end), and
// the end record's.
struct Layout {
  std::vector<std::pair<uint64_t, uint64_t>> chunks;
  std::vector<SweepRecord> records;
  std::pair<uint64_t, uint64_t> end_record;
};
inline Layout WriteOnePerChunk(const std::string& path, int n) {
  auto writer = RecordFileWriter::Create(path, TestHeader());
  REQUIRE(writer.ok());
  auto sink = (*writer)->NewSink();
  Layout layout;
  uint64_t start = (*writer)->stats().bytes;
  for (int i = 0; i < n; ++i) {
    SweepRecord r = Sweep(i);
    sink->Add(r);
    REQUIRE(sink->Flush().ok());
    uint64_t end = (*writer)->stats().bytes;
    // A trailer (< 7 bytes) belongs before the chunk's first fragment.
    uint64_t s = start;
    if (log::kBlockSize - s % log::kBlockSize < log::kHeaderSize) {
      s += log::kBlockSize - s % log::kBlockSize;
    }
    layout.chunks.push_back({s, end});
    layout.records.push_back(r);
    start = end;
  }
  sink.reset();
  REQUIRE((*writer)->Close().ok());
  layout.end_record = {start, ReadAll(path).size()};
  return layout;
}

inline std::vector<SweepRecord> Expected(const Layout& l,
                                  const std::function<bool(uint64_t, uint64_t)>& lost) {
  std::vector<SweepRecord> out;
  for (size_t i = 0; i < l.records.size(); ++i) {
    if (!lost(l.chunks[i].first, l.chunks[i].second)) out.push_back(l.records[i]);
  }
  return out;
}

// Rewrites the fragment at `offset` after `edit` changed its payload, with a valid CRC.
inline void Reseal(std::string* data, size_t offset) {
  uint16_t len = DecodeFixed16(data->data() + offset + 4);
  uint32_t crc = crc32c::Value(data->data() + offset + 6, 1 + len);
  EncodeFixed32(data->data() + offset, crc32c::Mask(crc));
}

// The same for a sealed chunk held in the one FULL fragment at `offset`: its envelope's checksum
// (chunk_envelope.h), then the fragment's.
inline void ResealChunk(std::string* data, size_t offset) {
  uint16_t len = DecodeFixed16(data->data() + offset + 4);
  REQUIRE(static_cast<uint8_t>((*data)[offset + 6]) == log::kFullType);
  char* chunk = data->data() + offset + log::kHeaderSize;
  EncodeFixed32(chunk + len - 4, crc32c::Mask(crc32c::Value(chunk, len - 4)));
  Reseal(data, offset);
}

// The sealed records chunk in the FULL fragment at `offset`: [first, end) of its records' bytes.
inline std::pair<size_t, size_t> ChunkBody(const std::string& data, size_t offset) {
  uint16_t len = DecodeFixed16(data.data() + offset + 4);
  return {offset + log::kHeaderSize + kEnvelopeHeadSize, offset + log::kHeaderSize + len - 4};
}

// `data` (a small file: every chunk one FULL fragment in the first block) as a file of an
// unsealed format version (1-5): the header says `version`, every chunk loses its envelope and
// the end record is left out.
inline std::string AsUnsealedVersion(const std::string& data, uint32_t version) {
  REQUIRE(data.size() < log::kBlockSize);
  std::string out;
  for (size_t pos = 0; pos + log::kHeaderSize <= data.size();) {
    uint16_t len = DecodeFixed16(data.data() + pos + 4);
    REQUIRE(static_cast<uint8_t>(data[pos + 6]) == log::kFullType);
    std::string chunk = data.substr(pos + log::kHeaderSize, len);
    pos += log::kHeaderSize + len;
    if (out.empty()) {
      EncodeFixed32(chunk.data() + 1 + 8, version);
    } else {
      chunk = chunk.substr(kEnvelopeHeadSize, chunk.size() - kEnvelopeSize);
      if (static_cast<uint8_t>(chunk[0]) == kEndChunk) continue;
    }
    char h[log::kHeaderSize];
    uint8_t type = log::kFullType;
    uint32_t crc = crc32c::Extend(crc32c::Value(reinterpret_cast<const char*>(&type), 1),
                                  chunk.data(), chunk.size());
    EncodeFixed32(h, crc32c::Mask(crc));
    EncodeFixed16(h + 4, static_cast<uint16_t>(chunk.size()));
    h[6] = static_cast<char>(type);
    out.append(h, log::kHeaderSize);
    out.append(chunk);
  }
  return out;
}

}  // namespace mailsweep::results::testing

#endif  // MAILSWEEP_TESTS_RESULTS_FORMAT_RECORD_FILE_UTIL_H_
