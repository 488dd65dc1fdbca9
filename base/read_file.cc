#include "base/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"

namespace mailsweep {

absl::StatusOr<UniqueFd> OpenInputFile(const std::string& path, struct stat* info) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    std::string message = StrCat("cannot read '", path, "': ", std::strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::NotFoundError(message);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return absl::DataLossError(StrCat("cannot read '", path, "': ", std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(StrCat("cannot read '", path, "': it is a directory"));
  }
  if (info != nullptr) *info = st;
  return fd;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, uint64_t max_bytes,
                                          bool text_only) {
  struct stat st;
  absl::StatusOr<UniqueFd> fd = OpenInputFile(path, &st);
  if (!fd.ok()) return fd.status();
  auto too_big = [&] {
    return absl::InvalidArgumentError(
        StrCat("'", path, "' is larger than ", max_bytes, " bytes; is it the right file?"));
  };
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) return too_big();
  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<size_t>(st.st_size));
  absl::Status s = ReadInPieces(*fd, path, [&](std::string_view piece) {
    if (text.size() + piece.size() > max_bytes) return too_big();
    if (const void* nul = text_only ? memchr(piece.data(), 0, piece.size()) : nullptr) {
      return absl::InvalidArgumentError(
          StrCat("'", path, "' holds binary data (a NUL byte at offset ",
                 text.size() + static_cast<size_t>(static_cast<const char*>(nul) - piece.data()),
                 "), not text; is it the right file?"));
    }
    text.append(piece);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return text;
}

absl::Status ReadInPieces(const UniqueFd& fd, const std::string& path,
                          const std::function<absl::Status(std::string_view)>& piece) {
  char block[64 * 1024];
  for (;;) {
    const ssize_t n = read(fd.get(), block, sizeof(block));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::DataLossError(
          StrCat("error while reading '", path, "': ", std::strerror(errno)));
    }
    if (n == 0) return absl::OkStatus();
    if (absl::Status s = piece(std::string_view(block, static_cast<size_t>(n))); !s.ok()) {
      return s;
    }
  }
}

}  // namespace mailsweep
