// The status lines of the commands, as people and scripts read them: one line a second on stderr
// and the same figures as one JSON object a line (--status-json). Pure formatting of stats
// snapshots; the caller owns the clock and the output. Used by engine/cli/*_command.cc.
#ifndef MAILSWEEP_ENGINE_CLI_STATUS_LINE_H_
#define MAILSWEEP_ENGINE_CLI_STATUS_LINE_H_

#include <string>

#include "engine/scan/scan_observer.h"

namespace mailsweep::engine {

// `mailsweep scan`: one line for both stages, like ZMap's: progress, sweep, probes, outcomes,
// ETA (with '\n'); `prev` is the snapshot one interval earlier, for the current rates.
std::string FormatScanStatusLine(const ScanProgress& now, const ScanProgress& prev);
// One JSON object (with '\n'), docs/commands.md lists its fields.
std::string FormatScanStatusJson(const ScanProgress& now);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_STATUS_LINE_H_
