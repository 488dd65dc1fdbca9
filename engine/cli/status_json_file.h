// The --status-json file of `mailsweep sweep` and `mailsweep scan`: the flag, and the file that
// takes one JSON object (engine/cli/status_line.h) a line, flushed as it is written so that a
// script following the file sees each second's line at once.
//
// Example:
//   StatusJsonFile json;
//   json.Register(&flags);                     // --status-json FILE
//   ... flags.Parse() ...
//   if (!json.Open()) fail;                    // creates the file when the flag was given
//   json.Write(FormatSweepStatusJson(now, prev));
//
// Thread rules: one thread (the command's main thread). Owns its FILE; the destructor closes it
// (call Close() to learn whether every line was written).
#ifndef MAILSWEEP_ENGINE_CLI_STATUS_JSON_FILE_H_
#define MAILSWEEP_ENGINE_CLI_STATUS_JSON_FILE_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "base/flag_set.h"

namespace mailsweep::engine {

class StatusJsonFile {
 public:
  StatusJsonFile() = default;
  ~StatusJsonFile() { (void)Close(); }
  StatusJsonFile(const StatusJsonFile&) = delete;
  StatusJsonFile& operator=(const StatusJsonFile&) = delete;

  // Adds --status-json FILE to `flags`; `this` must outlive flags.Parse().
  void Register(FlagSet* flags);
  const std::string& path() const { return path_; }

  // Creates the file when --status-json named one; false (errno set) when it cannot.
  bool Open();
  // One line (with its '\n'), flushed; nothing without a file. A failed write is remembered.
  void Write(const std::string& line);
  // Closes the file. Not ok, naming the file and the error, when any write or the close failed.
  absl::Status Close();

 private:
  std::string path_;
  FILE* file_ = nullptr;  // owned; null without --status-json
  int error_ = 0;         // errno of the first failed write or close
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_STATUS_JSON_FILE_H_
