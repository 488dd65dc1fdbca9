#include "engine/cli/status_line.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace mailsweep::engine {
namespace {

using results::ProbeOutcome;

std::string Clock(double seconds) {
  const int s = static_cast<int>(seconds);
  return s >= 3600 ? absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                   : absl::StrFormat("%d:%02d", s / 60, s % 60);
}

uint64_t Outcome(const ProberStats& p, ProbeOutcome o) {
  return p.outcomes[static_cast<size_t>(o)];
}

}  // namespace

std::string FormatScanStatusLine(const ScanProgress& now, const ScanProgress& prev) {
  const double elapsed = now.elapsed_s;
  const SweepStats& s = now.sweep;
  const ProberStats& p = now.probe;
  const uint64_t backlog = now.backlog;
  const double dt = std::max(1e-3, s.elapsed_s - prev.sweep.elapsed_s);
  const double send_now = static_cast<double>(s.sent - prev.sweep.sent) / dt;
  const double send_avg = s.send_elapsed_s > 0 ? static_cast<double>(s.sent) / s.send_elapsed_s : 0;
  const double probe_now = static_cast<double>(p.done - prev.probe.done) / dt;
  const double done_frac =
      s.positions_total ? static_cast<double>(s.positions_done) / s.positions_total : 1.0;
  std::string eta = "?";
  if (s.sending && done_frac > 0.001) {
    eta = Clock(s.send_elapsed_s * (1 - done_frac) / done_frac);
  } else if (!s.sending && probe_now > 0) {
    eta = Clock(static_cast<double>(backlog + p.in_flight) / probe_now);
  }
  const uint64_t tls =
      Outcome(p, ProbeOutcome::kStartTlsOk) + Outcome(p, ProbeOutcome::kImplicitTlsOk);
  const uint64_t plain = Outcome(p, ProbeOutcome::kPlaintextOnly);
  const uint64_t tls_fail = Outcome(p, ProbeOutcome::kStartTlsRefused) +
                            Outcome(p, ProbeOutcome::kStartTlsHandshakeFailed) +
                            Outcome(p, ProbeOutcome::kImplicitTlsFailed);
  const uint64_t other = p.done - tls - plain - tls_fail;
  return absl::StrFormat(
      "%s %.0f%%; send: %d %s (%s avg); open %d; probes: %d done %s, %d/%d in flight, %d waiting, "
      "%d retried, start rate %s, window %d, lag %d ms; tls %d, plaintext %d, tls failed %d, "
      "other %d; %s%s\n",
      Clock(elapsed), 100 * done_frac, s.sent, absl::StrFormat("%.1fk p/s", send_now / 1000),
      absl::StrFormat("%.1fk", send_avg / 1000), s.open, p.done,
      absl::StrFormat("%.0f/s", probe_now), p.in_flight, p.capacity, backlog, p.retried,
      p.connect_rate > 0 ? absl::StrFormat("%.0f/s", p.connect_rate) : std::string("unlimited"),
      p.window, p.lag_ms, tls, plain, tls_fail, other,
      s.sending ? StrCat("ETA ", eta)
                : (s.cooling_down ? "cooling down" : StrCat("probing, ETA ", eta)),
      s.paused_ms > prev.sweep.paused_ms ? " (held back by the probers)" : "");
}

std::string FormatScanStatusJson(const ScanProgress& now) {
  const SweepStats& s = now.sweep;
  const ProberStats& p = now.probe;
  std::string outcomes;
  for (size_t i = 1; i < p.outcomes.size(); ++i) {
    if (p.outcomes[i] == 0) continue;
    StrAppend(&outcomes, outcomes.empty() ? "" : ",", "\"",
              results::OutcomeName(static_cast<ProbeOutcome>(i)), "\":", p.outcomes[i]);
  }
  return absl::StrFormat(
      "{\"elapsed\":%.3f,\"positions_done\":%d,\"positions_total\":%d,\"sent\":%d,\"replies\":%d,"
      "\"open\":%d,\"closed\":%d,\"unreachable\":%d,\"pcap_dropped\":%d,\"paused_ms\":%d,"
      "\"probes_done\":%d,\"probes_in_flight\":%d,\"probes_waiting\":%d,\"probes_retried\":%d,"
      "\"probes_cut_off\":%d,\"connect_rate\":%.0f,\"window\":%d,\"loop_lag_ms\":%d,"
      "\"loop_lag_max_ms\":%d,\"checkpoint\":%d,\"outcomes\":{%s}}\n",
      now.elapsed_s, s.positions_done, s.positions_total, s.sent, s.replies, s.open, s.closed,
      s.unreachable, s.pcap_dropped, s.paused_ms, p.done, p.in_flight, now.backlog, p.retried,
      now.cut_off, p.connect_rate, p.window, p.lag_ms, p.lag_max_ms, now.checkpoint, outcomes);
}

}  // namespace mailsweep::engine
