#include "engine/cli/status_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace mailsweep::engine {
namespace {

using results::ProbeOutcome;

double Rate(double count, double seconds) { return seconds > 0 ? count / seconds : 0; }

double Percent(const SweepStats& s) {
  return s.positions_total ? 100.0 * double(s.positions_done) / double(s.positions_total) : 100.0;
}

// Open (address, port) per target probed, as ZMap reports it: copies of --probes count once.
double HitRate(const SweepStats& s) {
  const double targets = double(s.sent) / (s.probes ? s.probes : 1);
  return targets > 0 ? 100.0 * double(s.open) / targets : 0;
}

uint64_t Outcome(const ProberStats& p, ProbeOutcome o) {
  return p.outcomes[static_cast<size_t>(o)];
}

// A start rate: "4000/s", or "unlimited" for 0.
std::string RateText(double rate) {
  return rate > 0 ? absl::StrFormat("%.0f/s", rate) : std::string("unlimited");
}

}  // namespace

std::string OptOutText(const SweepStats& s, uint64_t live_opted_out) {
  if (s.excluded_addresses == 0 && s.skipped == 0 && s.opted_out_replies == 0 &&
      live_opted_out == 0) {
    return "";
  }
  std::string text = fmt::format(
      "; opted out: {} addresses added since the start, {} targets "
      "skipped",
      s.excluded_addresses, s.skipped);
  if (s.opted_out_replies > 0) text += fmt::format(", {} replies dropped", s.opted_out_replies);
  // Found (a sweep record) before the reload, not yet with a prober then: no probe record.
  if (live_opted_out > 0) text += fmt::format(", {} live hosts not probed", live_opted_out);
  return text;
}

std::vector<std::string> FormatReload(const targets::ReloadOutcome& r, uint64_t excluded_total) {
  std::vector<std::string> lines;
  if (!r.status.ok()) {
    lines.push_back(
        StrCat("blocklist reload failed; the blocklist in force stays: ", r.status.message()));
    return lines;
  }
  for (const std::string& note : r.notes) lines.push_back(StrCat("warning: ", note));
  lines.push_back(fmt::format(
      "reloaded the blocklist: {} addresses added, in force at once ({} blocked since the start)",
      r.added, excluded_total));
  if (r.kept > 0) {
    lines.push_back(fmt::format(
        "warning: {} blocked addresses are no longer in the -b files; they stay blocked until "
        "the run ends (a run never un-blocks)",
        r.kept));
  }
  return lines;
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const long total = static_cast<long>(seconds);
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

std::string FormatCount(double v) {
  if (v >= 1e9) return fmt::format("{:.3g}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string FormatSweepStatusLine(const SweepStats& now, const SweepStats& prev) {
  const double dt = now.elapsed_s - prev.elapsed_s;
  const double rate_now = Rate(double(now.sent - prev.sent), dt);
  const double rate_avg = Rate(double(now.sent), now.send_elapsed_s);
  const double pct = Percent(now);
  std::string eta;
  if (now.sending) {
    const double left = double(now.positions_total - now.positions_done);
    const double pos_rate = Rate(double(now.positions_done), now.elapsed_s);
    eta = pos_rate > 0 ? FormatDuration(left / pos_rate) : "-";
  } else {
    eta = now.cooling_down ? "cooldown" : "done";
  }
  return fmt::format(
      "{} {:.0f}%; ETA {}; send: {} {} p/s ({} avg); recv: {} open {} closed {} unreach {}; "
      "hit {:.3f}%; drops: pcap {} if {}; dup {}{}\n",
      FormatDuration(now.elapsed_s), std::floor(pct), eta, now.sent, FormatCount(rate_now),
      FormatCount(rate_avg), now.replies, now.open, now.closed, now.unreachable, HitRate(now),
      now.pcap_dropped, now.if_dropped, now.duplicates, OptOutText(now, 0));
}

std::string FormatSweepStatusJson(const SweepStats& now, const SweepStats& prev) {
  const double dt = now.elapsed_s - prev.elapsed_s;
  return fmt::format(
      "{{\"elapsed_s\":{:.3f},\"percent\":{:.2f},\"phase\":\"{}\",\"sent\":{},"
      "\"send_rate\":{:.0f},\"send_rate_avg\":{:.0f},\"send_retries\":{},\"send_errors\":{},"
      "\"refused\":{},\"replies\":{},\"open\":{},\"closed\":{},\"unreachable\":{},"
      "\"duplicates\":{},\"invalid\":{},\"hit_rate\":{:.6f},\"pcap_received\":{},"
      "\"pcap_dropped\":{},\"if_dropped\":{},\"paused_ms\":{},\"positions_done\":{},"
      "\"positions_total\":{},\"watermark\":{},\"skipped\":{},\"opted_out_replies\":{},"
      "\"excluded_addresses\":{}}}\n",
      now.elapsed_s, Percent(now),
      now.done           ? "done"
      : now.cooling_down ? "cooldown"
      : now.sending      ? "sending"
                         : "starting",
      now.sent, Rate(double(now.sent - prev.sent), dt), Rate(double(now.sent), now.send_elapsed_s),
      now.send_retries, now.send_errors, now.refused, now.replies, now.open, now.closed,
      now.unreachable, now.duplicates, now.invalid, HitRate(now) / 100.0, now.pcap_received,
      now.pcap_dropped, now.if_dropped, now.paused_ms, now.positions_done, now.positions_total,
      now.watermark, now.skipped, now.opted_out_replies, now.excluded_addresses);
}

std::string FormatSweepSummary(const SweepStats& s) {
  return fmt::format(
      "sent {} probes in {} ({} p/s); {} replies: {} open, {} closed, {} unreachable "
      "({} duplicates, {} invalid); hit rate {:.3f}%; drops: pcap {}, interface {}; "
      "send retries {}, errors {}; watermark {}{}\n",
      s.sent, FormatDuration(s.send_elapsed_s), FormatCount(Rate(double(s.sent), s.send_elapsed_s)),
      s.replies, s.open, s.closed, s.unreachable, s.duplicates, s.invalid, HitRate(s),
      s.pcap_dropped, s.if_dropped, s.send_retries, s.send_errors, s.watermark, OptOutText(s, 0));
}

std::string DroppedRepliesWarning(const SweepStats& s) {
  const uint64_t dropped = s.pcap_dropped + s.if_dropped;
  if (dropped == 0) return "";
  return fmt::format(
      "warning: {} replies were dropped before the capture saw them: open ports may be missing; "
      "run again slower (-r) or with fewer sender threads (-T)",
      dropped);
}

std::string DryRunWriteError(const std::string& path, const SweepStats& s) {
  if (path.empty() || s.send_errors == 0) return "";
  return fmt::format("writing {} failed: {} frames not written (disk full?)", path, s.send_errors);
}

std::string FormatProbeStatusLine(const ProberStats& s, double secs, bool final) {
  auto o = [&](results::ProbeOutcome x) { return s.outcomes[static_cast<size_t>(x)]; };
  uint64_t tls_ok =
      o(results::ProbeOutcome::kStartTlsOk) + o(results::ProbeOutcome::kImplicitTlsOk);
  uint64_t refused = o(results::ProbeOutcome::kConnectRefused);
  uint64_t timeouts = o(results::ProbeOutcome::kConnectTimeout) +
                      o(results::ProbeOutcome::kIoTimeout) + o(results::ProbeOutcome::kNoGreeting);
  // Minutes without hours ("75:03"), unlike the other commands' FormatDuration().
  return absl::StrFormat(
      "%d:%02d probe: done %d (%.0f/s); in flight %d/%d; queued %d; retried %d; tls %d; "
      "plaintext only %d; refused %d; unreachable %d; timeouts %d; start rate %s; window %d; "
      "loop lag %d ms%s\n",
      static_cast<int>(secs) / 60, static_cast<int>(secs) % 60, s.done,
      secs > 0 ? static_cast<double>(s.done) / secs : 0.0, s.in_flight, s.capacity, s.queued,
      s.retried, tls_ok, o(results::ProbeOutcome::kPlaintextOnly), refused,
      o(results::ProbeOutcome::kUnreachable), timeouts, RateText(s.connect_rate), s.window,
      final ? s.lag_max_ms : s.lag_ms, final ? " (most; done)" : "");
}

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
    eta = FormatDuration(s.send_elapsed_s * (1 - done_frac) / done_frac);
  } else if (!s.sending && probe_now > 0) {
    eta = FormatDuration(static_cast<double>(backlog + p.in_flight) / probe_now);
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
      "other %d; %s%s%s\n",
      FormatDuration(elapsed), 100 * done_frac, s.sent,
      absl::StrFormat("%.1fk p/s", send_now / 1000), absl::StrFormat("%.1fk", send_avg / 1000),
      s.open, p.done, absl::StrFormat("%.0f/s", probe_now), p.in_flight, p.capacity, backlog,
      p.retried, RateText(p.connect_rate), p.window, p.lag_ms, tls, plain, tls_fail, other,
      s.sending ? StrCat("ETA ", eta)
                : (s.cooling_down ? "cooling down" : StrCat("probing, ETA ", eta)),
      s.paused_ms > prev.sweep.paused_ms ? " (held back by the probers)" : "",
      OptOutText(s, now.opted_out));
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
      "\"loop_lag_max_ms\":%d,\"checkpoint\":%d,\"skipped\":%d,\"opted_out_replies\":%d,"
      "\"opted_out_live\":%d,\"excluded_addresses\":%d,\"outcomes\":{%s}}\n",
      now.elapsed_s, s.positions_done, s.positions_total, s.sent, s.replies, s.open, s.closed,
      s.unreachable, s.pcap_dropped, s.paused_ms, p.done, p.in_flight, now.backlog, p.retried,
      now.cut_off, p.connect_rate, p.window, p.lag_ms, p.lag_max_ms, now.checkpoint, s.skipped,
      s.opted_out_replies, now.opted_out, s.excluded_addresses, outcomes);
}

}  // namespace mailsweep::engine
