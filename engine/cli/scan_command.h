// `mailsweep scan`: sweep, probe and record in one process (engine/scan/scan_pipeline.h), with a
// status line for both stages, checkpoints, and --resume.
#ifndef MAILSWEEP_ENGINE_CLI_SCAN_COMMAND_H_
#define MAILSWEEP_ENGINE_CLI_SCAN_COMMAND_H_

namespace mailsweep::engine {

// Returns the exit status: 0 complete, 1 runtime failure, 2 bad usage, 3 stopped early (the
// checkpoint resumes it).
int RunScanCommand(int argc, const char* const* argv);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_SCAN_COMMAND_H_
