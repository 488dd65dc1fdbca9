// Reads a whole file a person named (a geo database in CSV, a checkpoint) into memory, with the
// checks such input needs: a directory, an unreadable path or a file larger than the caller's
// bound is an error that names the path, never an empty or endless read. Pipes and process
// substitutions (<(...)) are read like files, within the same bound. Thread-compatible.
//
// Example:
//   absl::StatusOr<std::string> text = ReadWholeFile(path, uint64_t{1} << 30);
//   if (!text.ok()) return text.status();
#ifndef MAILSWEEP_BASE_READ_FILE_H_
#define MAILSWEEP_BASE_READ_FILE_H_

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace mailsweep {

// kNotFound / kPermissionDenied when it cannot be opened, kInvalidArgument for a directory or a
// file over `max_bytes`, kDataLoss for a read error. With `text`, a NUL byte is
// kInvalidArgument too, as soon as it is read: binary input (/dev/zero, a database given as
// CSV) is refused without reading up to the bound.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, uint64_t max_bytes,
                                          bool text = false);

// Opens a file a person named for reading, with the same errors (kNotFound, kPermissionDenied,
// kInvalidArgument for a directory), for callers that read it in pieces themselves. `info`, when
// given, receives the file's fstat().
absl::StatusOr<UniqueFd> OpenInputFile(const std::string& path, struct stat* info = nullptr);

// Reads `fd` (opened from `path`) to its end in pieces of up to 64 KiB, handing each to `piece`;
// stops at the first error `piece` returns. kDataLoss naming `path` for a read error.
absl::Status ReadInPieces(const UniqueFd& fd, const std::string& path,
                          const std::function<absl::Status(std::string_view)>& piece);

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_READ_FILE_H_
