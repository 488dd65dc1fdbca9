#include "base/build_info.h"

#include "base/strings.h"

// Both come from the configure step (base/CMakeLists.txt), on this file only, so that a new
// commit recompiles one file.
#ifndef MAILSWEEP_GIT_DESCRIBE
#define MAILSWEEP_GIT_DESCRIBE "unknown"
#endif

namespace mailsweep {

std::string_view ProjectVersion() { return MAILSWEEP_VERSION; }

std::string_view GitDescription() { return MAILSWEEP_GIT_DESCRIBE; }

std::string VersionHeader(std::string_view program) {
  return StrCat(program, " ", ProjectVersion(), "\ngit: ", GitDescription(), "\n");
}

}  // namespace mailsweep
