#include "engine/run/run_header.h"

#include <sys/random.h>

#include <chrono>

#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace mailsweep::engine {

std::string JoinCommandLine(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) StrAppend(&line, i ? " " : "", argv[i]);
  return line;
}

std::string RandomScanId() {
  uint64_t v = 0;
  if (getrandom(&v, sizeof(v), 0) != sizeof(v)) {
    v = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return absl::StrFormat("%016x", v);
}

results::FileHeader MakeFileHeader(uint64_t seed, uint64_t shards, uint64_t shard,
                                   std::vector<uint16_t> ports, int argc, const char* const* argv,
                                   std::string scan_id) {
  results::FileHeader h;
  h.tool_version = MAILSWEEP_VERSION;
  h.scan_id = scan_id.empty() ? RandomScanId() : std::move(scan_id);
  h.seed = seed;
  h.shards = static_cast<uint32_t>(shards);
  h.shard = static_cast<uint32_t>(shard);
  h.ports = std::move(ports);
  h.start_time_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  h.command_line = JoinCommandLine(argc, argv);
  return h;
}

}  // namespace mailsweep::engine
