// `mailsweep probe`: reads (address, port) targets from a file or stdin and runs the prober pool
// over them, writing one record per target as JSON lines or CSV. See README.md.
#ifndef MAILSWEEP_ENGINE_PROBE_COMMAND_H_
#define MAILSWEEP_ENGINE_PROBE_COMMAND_H_

namespace mailsweep::engine {

int RunProbeCommand(int argc, const char* const* argv);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBE_COMMAND_H_
