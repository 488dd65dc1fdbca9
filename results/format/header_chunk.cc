#include "results/format/header_chunk.h"

#include "base/strings.h"
#include "results/format/coding.h"

namespace mailsweep::results {

std::string EncodeHeaderChunk(const FileHeader& h) {
  std::string out;
  out.push_back(static_cast<char>(kHeaderChunk));
  out.append(kFileMagic);
  PutFixed32(&out, kFormatVersion);
  PutLengthPrefixed(&out, h.tool_version);
  PutLengthPrefixed(&out, h.scan_id);
  PutFixed64(&out, h.seed);
  PutVarint64(&out, h.shards);
  PutVarint64(&out, h.shard);
  PutVarint64(&out, h.ports.size());
  for (uint16_t p : h.ports) PutVarint64(&out, p);
  PutVarint64(&out, ZigZag(h.start_time_us));
  PutLengthPrefixed(&out, h.command_line);
  PutFixed64(&out, h.file_id);
  return out;
}

absl::StatusOr<FileHeader> DecodeHeaderChunk(std::string_view chunk) {
  Cursor in(chunk);
  uint8_t type;
  std::string_view magic;
  if (!in.Byte(&type) || type != kHeaderChunk || !in.Bytes(kFileMagic.size(), &magic) ||
      magic != kFileMagic) {
    return absl::DataLossError("not a mailsweep record file (no file header)");
  }
  FileHeader h;
  if (!in.Fixed32(&h.format_version)) return absl::DataLossError("file header truncated");
  if (h.format_version == 0) return absl::DataLossError("unsupported format version 0");
  if (h.format_version > kFormatVersion) {
    return absl::UnimplementedError(StrCat("written in format version ", h.format_version,
                                           " by a newer mailsweep; this reader knows up to ",
                                           kFormatVersion));
  }
  std::string_view tool, scan, cmd;
  uint64_t nports, start;
  bool ok = in.LengthPrefixed(&tool) && in.LengthPrefixed(&scan) && in.Fixed64(&h.seed) &&
            in.Varint32(&h.shards) && in.Varint32(&h.shard) && in.Varint64(&nports) &&
            nports <= in.remaining();
  if (ok) {
    h.ports.reserve(nports);
    for (uint64_t i = 0; i < nports && ok; ++i) {
      uint32_t p = 0;
      ok = in.Varint32(&p) && p <= 0xffff;
      h.ports.push_back(static_cast<uint16_t>(p));
    }
  }
  ok = ok && in.Varint64(&start) && in.LengthPrefixed(&cmd);
  if (ok && h.format_version >= kFirstSealedVersion) ok = in.Fixed64(&h.file_id);
  if (!ok) return absl::DataLossError("file header malformed");
  // Later minor additions may follow; a reader of this version ignores them.
  h.tool_version = std::string(tool);
  h.scan_id = std::string(scan);
  h.start_time_us = UnZigZag(start);
  h.command_line = std::string(cmd);
  return h;
}

}  // namespace mailsweep::results
