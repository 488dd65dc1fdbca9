#include "results/format/chunk_envelope.h"

#include "results/format/chunk_format.h"
#include "results/format/coding.h"
#include "results/format/crc32c.h"

namespace mailsweep::results {
namespace {

constexpr size_t kIdBytes = 8 + 4 + 8;

}  // namespace

void SealChunk(const ChunkId& id, std::string_view chunk, std::string* out) {
  out->clear();
  out->reserve(kEnvelopeSize + chunk.size());
  PutFixed64(out, id.file_id);
  PutFixed32(out, id.writer);
  PutFixed64(out, id.seq);
  PutFixed32(out, crc32c::Mask(crc32c::Value(out->data(), kIdBytes)));
  out->append(chunk);
  PutFixed32(out, crc32c::Mask(crc32c::Value(out->data(), out->size())));
}

bool ReadChunkId(std::string_view head, ChunkId* id) {
  if (head.size() < kEnvelopeHeadSize) return false;
  const char* p = head.data();
  if (crc32c::Unmask(DecodeFixed32(p + kIdBytes)) != crc32c::Value(p, kIdBytes)) return false;
  id->file_id = DecodeFixed64(p);
  id->writer = DecodeFixed32(p + 8);
  id->seq = DecodeFixed64(p + 12);
  return true;
}

EnvelopeCheck OpenChunk(std::string_view sealed, ChunkId* id, std::string_view* chunk) {
  if (sealed.size() < kEnvelopeSize) return EnvelopeCheck::kTooShort;
  if (!ReadChunkId(sealed, id)) return EnvelopeCheck::kBadId;
  const size_t body = sealed.size() - kEnvelopeTailSize;
  *chunk = sealed.substr(kEnvelopeHeadSize, body - kEnvelopeHeadSize);
  if (crc32c::Unmask(DecodeFixed32(sealed.data() + body)) != crc32c::Value(sealed.data(), body)) {
    return EnvelopeCheck::kBadChecksum;
  }
  return EnvelopeCheck::kOk;
}

std::string EncodeEndChunk(const std::vector<WriterTally>& writers) {
  std::string out;
  out.push_back(static_cast<char>(kEndChunk));
  PutVarint64(&out, writers.size());
  for (const WriterTally& w : writers) {
    PutVarint64(&out, w.chunks);
    PutVarint64(&out, w.records);
  }
  return out;
}

bool DecodeEndChunk(std::string_view chunk, std::vector<WriterTally>* writers) {
  Cursor in(chunk);
  uint8_t type;
  uint64_t n;
  if (!in.Byte(&type) || type != kEndChunk || !in.Varint64(&n) || n > in.remaining()) {
    return false;
  }
  writers->assign(n, WriterTally{});
  for (WriterTally& w : *writers) {
    if (!in.Varint64(&w.chunks) || !in.Varint64(&w.records)) return false;
  }
  return in.remaining() == 0;
}

}  // namespace mailsweep::results
