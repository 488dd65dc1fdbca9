#include "base/build_info.h"

#include "base/strings.h"

// MAILSWEEP_VERSION comes from the configure step; MAILSWEEP_GIT_DESCRIBE from a header made at
// every build (base/git_describe.cmake) that only this file includes, so that a new commit
// recompiles one file.
#include "git_describe.h"

namespace mailsweep {

std::string_view ProjectVersion() { return MAILSWEEP_VERSION; }

std::string_view GitDescription() { return MAILSWEEP_GIT_DESCRIBE; }

std::string VersionHeader(std::string_view program) {
  return StrCat(program, " ", ProjectVersion(), "\ngit: ", GitDescription(), "\n");
}

}  // namespace mailsweep
