// The sweep's progress as people and scripts read it: a one-line status once a second on stderr,
//   0:12 41%; ETA 0:17; send: 2961408 249k p/s (246k avg); recv: 4467 open 3920 closed 547
//   unreach 0; hit 0.15%; drops: pcap 0 if 0; dup 12
// the same figures as one JSON object per line (--status-json), and the final summary.
// Pure formatting of SweepStats snapshots; the caller owns the clock and the output.
//
// Example:
//   SweepStats prev = sweeper.Stats(); sleep(1); SweepStats now = sweeper.Stats();
//   fputs(FormatStatusLine(now, prev).c_str(), stderr);
#ifndef MAILSWEEP_ENGINE_SWEEP_STATUS_LINE_H_
#define MAILSWEEP_ENGINE_SWEEP_STATUS_LINE_H_

#include <string>

#include "engine/sweep/sweeper.h"

namespace mailsweep::engine {

// Status line (with '\n'); `prev` is the snapshot one interval earlier, for the current rate.
std::string FormatStatusLine(const SweepStats& now, const SweepStats& prev);
// One JSON object (with '\n'): every counter of SweepStats plus the derived rates.
std::string FormatStatusJson(const SweepStats& now, const SweepStats& prev);
// The final summary, several lines.
std::string FormatSummary(const SweepStats& s);
// A warning when the capture or the interface dropped replies (open ports may be missing), for
// the end of a sweep or scan; "" when none were dropped.
std::string DroppedRepliesWarning(const SweepStats& s);

// "1:02:03" / "2:03".
std::string FormatDuration(double seconds);
// 1234567 -> "1.23M", 12345 -> "12.3k".
std::string FormatCount(double value);

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_SWEEP_STATUS_LINE_H_
