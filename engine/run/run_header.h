// The header a command writes at the top of its record file (FileHeader in
// results/format/records.h): tool version, a random scan id, seed, shard, ports, start time and
// the command line. Shared by `sweep`, `probe` and `scan`. Pure apart from reading the clock and
// the random source.
#ifndef MAILSWEEP_ENGINE_RUN_RUN_HEADER_H_
#define MAILSWEEP_ENGINE_RUN_RUN_HEADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "results/format/records.h"

namespace mailsweep::engine {

// argv joined with spaces, as the header records it.
std::string JoinCommandLine(int argc, const char* const* argv);

// 16 hex digits from getrandom().
std::string RandomScanId();

// `scan_id` empty: a new random one.
results::FileHeader MakeFileHeader(uint64_t seed, uint64_t shards, uint64_t shard,
                                   std::vector<uint16_t> ports, int argc, const char* const* argv,
                                   std::string scan_id = "");

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_RUN_RUN_HEADER_H_
