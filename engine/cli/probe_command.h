// `mailsweep probe`: reads (address, port) targets from a file or stdin and runs the prober pool
// over them, writing one record per target to a record file, as JSON lines or CSV. See
// docs/commands.md.
#ifndef MAILSWEEP_ENGINE_CLI_PROBE_COMMAND_H_
#define MAILSWEEP_ENGINE_CLI_PROBE_COMMAND_H_

namespace mailsweep::engine {

int RunProbeCommand(int argc, const char* const* argv);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_PROBE_COMMAND_H_
