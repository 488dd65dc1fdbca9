// `mailsweep sweep`: the SYN sweep as a command. Parses ZMap-like flags into a SweeperConfig
// (filling interface, source address and gateway MAC from the kernel's tables when not given),
// runs the Sweeper, prints a status line each second and a summary, and writes records as CSV.
#ifndef MAILSWEEP_ENGINE_CLI_SWEEP_COMMAND_H_
#define MAILSWEEP_ENGINE_CLI_SWEEP_COMMAND_H_

namespace mailsweep::engine {

// Returns the process exit code: 0 done, 1 runtime failure, 2 bad usage.
int RunSweepCommand(int argc, const char* const* argv);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_SWEEP_COMMAND_H_
