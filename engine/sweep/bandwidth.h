// The sweep's rate from a bandwidth (`sweep -B 10M`): parsing the figure and turning it into SYN
// frames per second. Pure functions; used by the sweep command's option parser.
#ifndef MAILSWEEP_ENGINE_SWEEP_BANDWIDTH_H_
#define MAILSWEEP_ENGINE_SWEEP_BANDWIDTH_H_

namespace mailsweep::engine {

// Packets per second that fill `bits_per_second` with 66-byte SYN frames, counting what Ethernet
// adds on the wire (4 FCS + 8 preamble + 12 inter-frame gap = 90 bytes per frame).
double RateForBandwidth(double bits_per_second);

// Parses a bandwidth such as "10M", "1G", "500k", "1.5G" (bits per second, decimal units; an
// optional trailing "bps"/"b" is accepted), above 0 and at most kMaxBandwidth. Returns false on a
// bad value.
inline constexpr double kMaxBandwidth = 10e12;  // 10 Tb/s
[[nodiscard]] bool ParseBandwidth(const char* text, double* bits_per_second);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_BANDWIDTH_H_
