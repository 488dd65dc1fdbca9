#include "engine/prober/retry_schedule.h"

namespace mailsweep::engine {

using results::ProbeOutcome;

bool IsTransient(const results::ProbeRecord& r) {
  switch (r.outcome) {
    case ProbeOutcome::kConnectTimeout:
    case ProbeOutcome::kUnreachable:  // an ICMP answer may be a route that comes back
    case ProbeOutcome::kNoGreeting:
    case ProbeOutcome::kServiceUnavailable:
    case ProbeOutcome::kIoTimeout:
      return true;
    case ProbeOutcome::kConnectionReset:
      return r.banner.empty();  // reset before the greeting (a full queue, a busy server)
    case ProbeOutcome::kImplicitTlsFailed:
    case ProbeOutcome::kStartTlsHandshakeFailed:
      // The handshake's read deadline passed: a read timeout like any other (a server too busy
      // to answer), not a server that cannot do TLS.
      return r.tls.failure == "timeout";
    default:
      return false;
  }
}

uint64_t RetrySchedule::AddLocalFailure(ProbeTarget t, bool nothing_open, uint64_t now_ms) {
  // Nothing of ours is open and it still fails: the machine is out of something (or misses
  // --source-ip). Keep trying for kGiveUpAfter pauses, then give the waiting targets up; the
  // commands report them as not probed.
  if (nothing_open && ++failures_while_idle_ >= kGiveUpAfter) {
    const uint64_t given_up = 1 + local_.size();
    local_.clear();  // t and the waiting targets go with their names
    failures_while_idle_ = 0;
    return given_up;
  }
  local_.push_front(std::move(t));
  hold_ = true;
  hold_until_ms_ = now_ms + kRetryPauseMs;
  return 0;
}

bool RetrySchedule::PopDue(uint64_t now_ms, ProbeTarget* t) {
  if (!HasDue(now_ms)) return false;
  *t = std::move(due_.front().second);
  due_.pop_front();
  return true;
}

bool RetrySchedule::PopLocal(ProbeTarget* t) {
  if (local_.empty()) return false;
  *t = std::move(local_.front());
  local_.pop_front();
  return true;
}

uint64_t RetrySchedule::DropAll() {
  const uint64_t n = local_.size() + due_.size();
  local_.clear();  // with their names
  due_.clear();
  return n;
}

}  // namespace mailsweep::engine
