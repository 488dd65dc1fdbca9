// Port lists as users write them for -p: "110", "25,110,143", "1-1024", "110,143,990-995".
// Order is kept (it is the port index order of the walk), duplicates are dropped. Pure function.
#ifndef MAILSWEEP_TARGETS_PORT_LIST_H_
#define MAILSWEEP_TARGETS_PORT_LIST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mailsweep::targets {

// Port 0 is refused: no service listens there, and the sweeper uses 0 as "none".
absl::StatusOr<std::vector<uint16_t>> ParsePortList(std::string_view spec);
std::string FormatPortList(const std::vector<uint16_t>& ports);

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_PORT_LIST_H_
