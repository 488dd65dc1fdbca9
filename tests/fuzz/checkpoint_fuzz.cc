// libFuzzer target for the checkpoint parser (engine::Checkpoint::Load), which `scan --resume`
// runs on a file the user names: any bytes. A loaded checkpoint must be self-consistent enough
// for the resume checks that follow.
#include <cstddef>
#include <cstdint>

#include "engine/scan/checkpoint.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailsweep;
  fuzz::MemoryFile file(data, size);
  auto cp = engine::Checkpoint::Load(file.path());
  if (!cp.ok()) {
    fuzz::Check(!cp.status().message().empty(), "an error says what is wrong");
    return 0;
  }
  // Comparing with itself must find no difference.
  fuzz::Check(cp->CheckCompatible(*cp).ok(), "a checkpoint is compatible with itself");
  return 0;
}
