// `mailsweep sweep`: the SYN sweep as a command. Parses ZMap-like flags into a SweeperConfig
// (filling interface, source address and gateway MAC from the kernel's tables when not given),
// runs the Sweeper, prints a status line each second and a summary, and writes records as CSV.
#ifndef MAILSWEEP_ENGINE_SWEEP_COMMAND_H_
#define MAILSWEEP_ENGINE_SWEEP_COMMAND_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace mailsweep::engine {

// Returns the process exit code: 0 done, 1 runtime failure, 2 bad usage.
int RunSweepCommand(int argc, const char* const* argv);

// The default source ports: the largest range of unprivileged ports outside the kernel's
// ephemeral range "lo hi" (/proc/sys/net/ipv4/ip_local_port_range), so the prober's own
// connect()s never share a port with the sweep. Returns {first, count}.
struct PortRange {
  uint16_t first = 0;
  uint32_t count = 0;
};
PortRange DefaultSourcePorts(uint32_t ephemeral_lo, uint32_t ephemeral_hi);
// "LO-HI" or a single port.
absl::StatusOr<PortRange> ParseSourcePorts(std::string_view text);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_COMMAND_H_
