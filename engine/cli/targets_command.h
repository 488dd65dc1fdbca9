// `mailsweep targets`: prints the targets of a sweep in walk order as "ip,port" lines, with a
// summary (count, seed, shard) on stderr. How a user previews a sweep and how tests check the walk.
#ifndef MAILSWEEP_ENGINE_CLI_TARGETS_COMMAND_H_
#define MAILSWEEP_ENGINE_CLI_TARGETS_COMMAND_H_

namespace mailsweep::engine {

// Returns the process exit code: 0 done, 1 runtime failure, 2 bad usage.
int RunTargetsCommand(int argc, const char* const* argv);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_TARGETS_COMMAND_H_
