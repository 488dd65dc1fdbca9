#include "engine/sweep/status_line.h"

#include <fmt/format.h>

#include <cmath>

namespace mailsweep::engine {
namespace {

double Rate(double count, double seconds) { return seconds > 0 ? count / seconds : 0; }

double Percent(const SweepStats& s) {
  return s.positions_total ? 100.0 * double(s.positions_done) / double(s.positions_total) : 100.0;
}

// Open (address, port) per target probed, as ZMap reports it: copies of --probes count once.
double HitRate(const SweepStats& s) {
  const double targets = double(s.sent) / (s.probes ? s.probes : 1);
  return targets > 0 ? 100.0 * double(s.open) / targets : 0;
}

}  // namespace

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

std::string FormatStatusLine(const SweepStats& now, const SweepStats& prev) {
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
      "hit {:.3f}%; drops: pcap {} if {}; dup {}\n",
      FormatDuration(now.elapsed_s), std::floor(pct), eta, now.sent, FormatCount(rate_now),
      FormatCount(rate_avg), now.replies, now.open, now.closed, now.unreachable, HitRate(now),
      now.pcap_dropped, now.if_dropped, now.duplicates);
}

std::string FormatStatusJson(const SweepStats& now, const SweepStats& prev) {
  const double dt = now.elapsed_s - prev.elapsed_s;
  return fmt::format(
      "{{\"elapsed_s\":{:.3f},\"percent\":{:.2f},\"phase\":\"{}\",\"sent\":{},"
      "\"send_rate\":{:.0f},\"send_rate_avg\":{:.0f},\"send_retries\":{},\"send_errors\":{},"
      "\"refused\":{},\"replies\":{},\"open\":{},\"closed\":{},\"unreachable\":{},"
      "\"duplicates\":{},\"invalid\":{},\"hit_rate\":{:.6f},\"pcap_received\":{},"
      "\"pcap_dropped\":{},\"if_dropped\":{},\"paused_ms\":{},\"positions_done\":{},"
      "\"positions_total\":{},\"watermark\":{}}}\n",
      now.elapsed_s, Percent(now),
      now.done           ? "done"
      : now.cooling_down ? "cooldown"
      : now.sending      ? "sending"
                         : "starting",
      now.sent, Rate(double(now.sent - prev.sent), dt), Rate(double(now.sent), now.send_elapsed_s),
      now.send_retries, now.send_errors, now.refused, now.replies, now.open, now.closed,
      now.unreachable, now.duplicates, now.invalid, HitRate(now) / 100.0, now.pcap_received,
      now.pcap_dropped, now.if_dropped, now.paused_ms, now.positions_done, now.positions_total,
      now.watermark);
}

std::string FormatSummary(const SweepStats& s) {
  return fmt::format(
      "sent {} probes in {} ({} p/s); {} replies: {} open, {} closed, {} unreachable "
      "({} duplicates, {} invalid); hit rate {:.3f}%; drops: pcap {}, interface {}; "
      "send retries {}, errors {}; watermark {}\n",
      s.sent, FormatDuration(s.send_elapsed_s), FormatCount(Rate(double(s.sent), s.send_elapsed_s)),
      s.replies, s.open, s.closed, s.unreachable, s.duplicates, s.invalid, HitRate(s),
      s.pcap_dropped, s.if_dropped, s.send_retries, s.send_errors, s.watermark);
}

std::string DroppedRepliesWarning(const SweepStats& s) {
  const uint64_t dropped = s.pcap_dropped + s.if_dropped;
  if (dropped == 0) return "";
  return fmt::format(
      "warning: {} replies were dropped before the capture saw them: open ports may be missing; "
      "run again slower (-r) or with fewer sender threads (-T)",
      dropped);
}

}  // namespace mailsweep::engine
