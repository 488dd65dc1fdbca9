// The text of `mailsweep --version`: the project version, the git description of the build, and
// the run-time versions of the libraries that touch the network (OpenSSL, libpcap) and confine
// the process (libseccomp), as a bug report needs them. Used by engine/cli/main.cc; the man
// pages' version comes from it too (help2man). Any thread.
//
// Example output:
//   mailsweep 0.1.0
//   git: v0.1.0-12-g1a2b3c4
//   OpenSSL 3.0.15 3 Sep 2024
//   libpcap version 1.10.3 (with TPACKET_V3)
//   libseccomp 2.5.4
#ifndef MAILSWEEP_ENGINE_CLI_VERSION_TEXT_H_
#define MAILSWEEP_ENGINE_CLI_VERSION_TEXT_H_

#include <string>

namespace mailsweep::engine {

// Every line ends with '\n'.
std::string VersionText();

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_VERSION_TEXT_H_
