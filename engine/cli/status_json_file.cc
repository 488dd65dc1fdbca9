#include "engine/cli/status_json_file.h"

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
  fputs(line.c_str(), file_);
  fflush(file_);
}

void StatusJsonFile::Close() {
  if (file_ != nullptr) fclose(file_);
  file_ = nullptr;
}

}  // namespace mailsweep::engine
