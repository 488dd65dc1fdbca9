// The header chunk, the first logical record of a record file (results/format/FORMAT.md): the
// magic, the format version and the run's FileHeader fields. Written by RecordFileWriter
// (record_writer.h), read by RecordFileReader (record_reader.h). Pure functions, no I/O.
//
// Example:
//   std::string chunk = EncodeHeaderChunk(header);
//   absl::StatusOr<FileHeader> back = DecodeHeaderChunk(chunk);
#ifndef MAILSWEEP_RESULTS_FORMAT_HEADER_CHUNK_H_
#define MAILSWEEP_RESULTS_FORMAT_HEADER_CHUNK_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "results/format/chunk_format.h"
#include "results/format/records.h"

namespace mailsweep::results {

std::string EncodeHeaderChunk(const FileHeader& header);
// kDataLoss: not a header / malformed; kUnimplemented: a newer format version.
absl::StatusOr<FileHeader> DecodeHeaderChunk(std::string_view chunk);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_HEADER_CHUNK_H_
