// The envelope of every chunk after the file header in a version 6 record file
// (results/format/FORMAT.md, section 2.4): the chunk's identity (the file's random id, the
// writer that produced it, that writer's sequence number) with its own small checksum, then the
// chunk, then a checksum of all of it. The identity lets a reader refuse a chunk of another
// file and report missing, duplicated and reordered chunks; the checksum over the whole
// envelope means fragments of different chunks can never be joined into one. The end record
// (EncodeEndChunk) closes a file. Used by RecordFileWriter (sealing) and RecordFileReader
// (opening, the chunk index). Pure functions, no I/O, thread-safe.
//
// Example:
//   std::string sealed;
//   SealChunk({file_id, /*writer=*/1, /*seq=*/1}, encoder.data(), &sealed);
//   ChunkId id;
//   std::string_view chunk;
//   if (OpenChunk(sealed, &id, &chunk) == EnvelopeCheck::kOk) decoder.Decode(chunk, ...);
#ifndef MAILSWEEP_RESULTS_FORMAT_CHUNK_ENVELOPE_H_
#define MAILSWEEP_RESULTS_FORMAT_CHUNK_ENVELOPE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailsweep::results {

struct ChunkId {
  uint64_t file_id = 0;
  uint32_t writer = 0;  // 0: the file writer itself (the end record); sinks count from 1
  uint64_t seq = 0;     // per writer, from 1

  friend bool operator==(const ChunkId&, const ChunkId&) = default;
};

// file_id: fixed64 | writer: fixed32 | seq: fixed64 | masked CRC32C of those 20 bytes: fixed32.
constexpr size_t kEnvelopeHeadSize = 8 + 4 + 8 + 4;
// masked CRC32C of the head and the chunk: fixed32.
constexpr size_t kEnvelopeTailSize = 4;
constexpr size_t kEnvelopeSize = kEnvelopeHeadSize + kEnvelopeTailSize;

// Replaces *out with the sealed chunk.
void SealChunk(const ChunkId& id, std::string_view chunk, std::string* out);

// Reads the identity from the first kEnvelopeHeadSize bytes of a sealed chunk; false when they
// are too few or their checksum does not match.
bool ReadChunkId(std::string_view head, ChunkId* id);

enum class EnvelopeCheck {
  kOk,
  kTooShort,       // fewer bytes than an envelope
  kBadId,          // the identity's own checksum does not match
  kBadChecksum,    // the identity is sound, the whole does not match: damaged or joined
};
// Checks a sealed chunk; on kOk (and on kBadChecksum for *id) fills *id and *chunk (a view into
// `sealed`).
EnvelopeCheck OpenChunk(std::string_view sealed, ChunkId* id, std::string_view* chunk);

// The end record: how many chunks and records each writer (1..n) handed over.
struct WriterTally {
  uint64_t chunks = 0;
  uint64_t records = 0;

  friend bool operator==(const WriterTally&, const WriterTally&) = default;
};
// An end chunk (type kEndChunk), to be sealed with writer 0, seq 1.
std::string EncodeEndChunk(const std::vector<WriterTally>& writers);
// false when `chunk` is not a well-formed end chunk.
bool DecodeEndChunk(std::string_view chunk, std::vector<WriterTally>* writers);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_CHUNK_ENVELOPE_H_
