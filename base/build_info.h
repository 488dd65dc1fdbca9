// What this build of mailsweep is: the project version (CMake's project VERSION) and the
// `git describe` of the checkout it was configured from ("unknown" outside git). Read by the
// programs' --version (engine/cli/version_text, results/agg/agg_main.cc). Constants: any thread.
//
// Example:
//   printf("mailsweep %s (git %s)\n", ProjectVersion().data(), GitDescription().data());
#ifndef MAILSWEEP_BASE_BUILD_INFO_H_
#define MAILSWEEP_BASE_BUILD_INFO_H_

#include <string>
#include <string_view>

namespace mailsweep {

// "0.1.0"; NUL-terminated.
std::string_view ProjectVersion();
// `git describe --tags --always --dirty` when the build was configured, or "unknown";
// NUL-terminated.
std::string_view GitDescription();

// The first lines of every program's --version: "PROGRAM VERSION\ngit: DESCRIPTION\n".
std::string VersionHeader(std::string_view program);

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_BUILD_INFO_H_
