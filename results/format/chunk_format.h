// The constants of the record file's chunks (results/format/FORMAT.md, section Chunks): the
// format version, the file magic, chunk types, record heads and the probe record layouts. Shared
// by the header chunk (header_chunk.h), the encoder (chunk_encoder.h) and the decoder
// (chunk_decoder.h). Constants only.
#ifndef MAILSWEEP_RESULTS_FORMAT_CHUNK_FORMAT_H_
#define MAILSWEEP_RESULTS_FORMAT_CHUNK_FORMAT_H_

#include <cstdint>
#include <string_view>

namespace mailsweep::results {

// Version 2 added the probe record's optional domain; version 3 moved a probe record's summary
// fields ahead of a length-prefixed tail; version 4 gave them fixed widths; version 5 added the
// optional attempts (FORMAT.md 2.2); version 6 added the file id, the chunk envelope and the end
// record (FORMAT.md 2.4). Readers read 1 to 6.
constexpr uint32_t kFormatVersion = 6;
// The first version whose chunks are sealed (chunk_envelope.h) and whose files end with an end
// record.
constexpr uint32_t kFirstSealedVersion = 6;
constexpr std::string_view kFileMagic = "MSWPREC\n";  // 8 bytes, first bytes of the header chunk
static_assert(kFileMagic.size() == 8);

enum ChunkType : uint8_t {
  kHeaderChunk = 1,
  kRecordsChunk = 2,
  kEndChunk = 3,  // version 6: the last chunk of a closed file
};

// Record heads inside a records chunk: varint head, kind = head & 3 (FORMAT.md).
enum RecordKind : uint8_t {
  kSweepKnownShape = 0,  // head >> 2 = index into the chunk's shape table
  kSweepNewShape = 1,    // a shape follows and is appended to the table
  kProbe = 2,            // head >> 2: kProbe* bits below
  kExtended = 3,         // head >> 2 = ExtendedKind
};
// Bits of (head >> 2) of a probe record.
constexpr uint64_t kProbeHasDomain = 1;  // a domain ends the record (version 2)
constexpr uint64_t kProbeSplit = 2;      // summary fields, then a length-prefixed tail (version 3)
constexpr uint64_t kProbeFixed = 4;      // fixed-width summary fields, then the rest (version 4)
constexpr uint64_t kProbeAttempts = 8;   // attempts (2-255) end the rest (version 5, fixed only)
// The three probe record layouts: versions 1-2, 3 and 4.
enum class ProbeLayout : uint8_t { kLegacy, kSplit, kFixed };
enum ExtendedKind : uint8_t {
  kCertificateDef = 0,
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_CHUNK_FORMAT_H_
