#include "engine/cli/status_json_file.h"

#include <cerrno>
#include <cstring>

#include "base/strings.h"

namespace mailsweep::engine {

void StatusJsonFile::Register(FlagSet* flags) {
  flags->String("--status-json", "FILE", "write the status as JSON lines, once a second", &path_);
}

bool StatusJsonFile::Open() {
  if (path_.empty()) return true;
  file_ = fopen(path_.c_str(), "w");
  return file_ != nullptr;
}

void StatusJsonFile::Write(const std::string& line) {
  if (file_ == nullptr) return;
  if ((fputs(line.c_str(), file_) < 0 || fflush(file_) != 0) && error_ == 0) error_ = errno;
}

absl::Status StatusJsonFile::Close() {
  if (file_ != nullptr && fclose(file_) != 0 && error_ == 0) error_ = errno;
  file_ = nullptr;
  if (error_ == 0) return absl::OkStatus();
  return absl::DataLossError(StrCat("writing ", path_, " failed: ", std::strerror(error_)));
}

}  // namespace mailsweep::engine
