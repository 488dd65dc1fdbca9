// The status of every command, as people and scripts read it: one line a second on stderr, the
// same figures as one JSON object a line (--status-json), and the final summary. One module for
// `sweep`, `probe` and `scan`, each keeping its own fields (docs/commands.md lists them). Pure
// formatting of stats snapshots; the caller owns the clock and the output. Used by
// engine/cli/*_command.cc.
//
// Example (a sweep):
//   SweepStats prev = sweeper.Stats(); sleep(1); SweepStats now = sweeper.Stats();
//   fputs(FormatSweepStatusLine(now, prev).c_str(), stderr);
//     0:12 41%; ETA 0:17; send: 2961408 249k p/s (246k avg); recv: 4467 open 3920 closed 547
//     unreach 0; hit 0.15%; drops: pcap 0 if 0; dup 12
#ifndef MAILSWEEP_ENGINE_CLI_STATUS_LINE_H_
#define MAILSWEEP_ENGINE_CLI_STATUS_LINE_H_

#include <string>
#include <vector>

#include "engine/prober/prober_pool.h"
#include "engine/scan/scan_observer.h"
#include "engine/sweep/sweeper.h"
#include "targets/blocklist_reloader.h"

namespace mailsweep::engine {

// `mailsweep sweep`: the status line (with '\n'); `prev` is the snapshot one interval earlier,
// for the current rate.
std::string FormatSweepStatusLine(const SweepStats& now, const SweepStats& prev);
// One JSON object (with '\n'): every counter of SweepStats plus the derived rates.
std::string FormatSweepStatusJson(const SweepStats& now, const SweepStats& prev);
// The final summary.
std::string FormatSweepSummary(const SweepStats& s);
// A warning when the capture or the interface dropped replies (open ports may be missing), for
// the end of a sweep or scan; "" when none were dropped.
std::string DroppedRepliesWarning(const SweepStats& s);
// "; opted out: N addresses added since the start, S targets skipped[, D replies dropped][, L live
// hosts not probed]", or "" when nothing was opted out since the start. `live_opted_out`: a
// scan's live hosts opted out before a probe of theirs started (ScanProgress::opted_out).
std::string OptOutText(const SweepStats& s, uint64_t live_opted_out);
// What a SIGHUP did (sweep and scan print it, with -q too): one line each, without the command
// name or '\n': "reloaded the blocklist: ...", or "blocklist reload failed, ...", and warnings.
std::vector<std::string> FormatReload(const targets::ReloadOutcome& r, uint64_t excluded_total);
// The error of a dry run whose pcap file `path` lost frames (a full disk), for sweep and scan;
// "" when every frame was written.
std::string DryRunWriteError(const std::string& path, const SweepStats& s);

// `mailsweep probe`: the status line (with '\n') `elapsed_s` after the start; `final`: the last
// one, with the longest loop lag since the start.
std::string FormatProbeStatusLine(const ProberStats& s, double elapsed_s, bool final);

// `mailsweep scan`: one line for both stages, like ZMap's: progress, sweep, probes, outcomes,
// ETA (with '\n'); `prev` is the snapshot one interval earlier, for the current rates.
std::string FormatScanStatusLine(const ScanProgress& now, const ScanProgress& prev);
// One JSON object (with '\n').
std::string FormatScanStatusJson(const ScanProgress& now);

// "1:02:03" / "2:03"; "-" when not finite or negative.
std::string FormatDuration(double seconds);
// 1234567 -> "1.23M", 12345 -> "12.3k".
std::string FormatCount(double value);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_CLI_STATUS_LINE_H_
