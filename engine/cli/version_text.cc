#include "engine/cli/version_text.h"

#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <seccomp.h>

#include "base/build_info.h"
#include "base/strings.h"

namespace mailsweep::engine {

std::string VersionText() {
  // The libraries' own run-time strings: what is loaded, not what the build saw.
  const scmp_version* seccomp = seccomp_version();
  return StrCat(VersionHeader("mailsweep"), OpenSSL_version(OPENSSL_VERSION), "\n",
                pcap_lib_version(), "\nlibseccomp ", seccomp->major, ".", seccomp->minor, ".",
                seccomp->micro, "\n");
}

}  // namespace mailsweep::engine
