#include "engine/prober/start_control.h"

namespace mailsweep::engine {
namespace {

// All loops together. The first rate is high: the window is what ramps up gently, clocked by the
// servers' greetings; the rate bounds bursts and falls when connects go bad.
constexpr double kInitialRate = 10000;
constexpr double kMinRate = 20;
constexpr double kMaxRate = 1e6;   // growth stops here: past it the rate limits nothing
constexpr double kRateStep = 100;  // additive increase per judged quarter second
constexpr double kInitialWindow = 256;
constexpr double kMinWindow = 16;
// Bad results that halve: at least kBadMin, and more than 1/kBadShare of the connects.
constexpr uint32_t kBadMin = 3;
constexpr uint32_t kBadShare = 20;

}  // namespace

StartControl::StartControl(bool adaptive, uint32_t threads, uint32_t max_connections,
                           double max_rate, uint64_t now_us)
    : adaptive_(adaptive),
      share_(1.0 / std::max<uint32_t>(1, threads)),
      max_connections_(std::max<uint32_t>(1, max_connections)),
      max_rate_(max_rate),
      rate_(max_rate),
      window_(max_connections_),
      bucket_(0, 1, static_cast<int64_t>(now_us) * 1000),
      judged_at_us_(now_us) {
  if (adaptive_) {
    const double first = kInitialRate * share_;
    rate_ = max_rate_ > 0 ? std::min(max_rate_, first) : first;
    window_ = std::min<double>(max_connections_, kInitialWindow * share_);
  }
  Repace(now_us);
}

void StartControl::Repace(uint64_t now_us) {
  const uint64_t burst = static_cast<uint64_t>(std::max(1.0, rate_ / 100.0));  // 10 ms' worth
  bucket_.SetRate(rate_, burst, static_cast<int64_t>(now_us) * 1000);
}

bool StartControl::HasToken(uint64_t now_us) {
  return bucket_.Available(static_cast<int64_t>(now_us) * 1000) >= 1;
}

int StartControl::MsUntilToken() const {
  return rate_ > 0 ? std::clamp(static_cast<int>(1000.0 / rate_), 1, 10) : 1;
}

void StartControl::NoteConnect(bool bad, uint64_t started_us) {
  ++connects_;
  // A connect begun before the last halving belongs to the episode that halving answered (a
  // connect timeout arrives 5 s after its SYN): it does not halve again, as TCP halves once per
  // round trip.
  if (bad && started_us > halved_at_us_) ++bad_;
}

bool StartControl::NoteFirstByte(uint64_t waited_us, uint64_t started_us, uint32_t in_flight) {
  if (!adaptive_) return false;
  if (waited_us >= uint64_t{kSlowGreetingMs} * 1000) {
    NoteConnect(true, started_us);
    return true;
  }
  // Grow only a window that limits: one that is less than half used says nothing about more.
  if (in_flight * 2 < window_) return false;
  const double grown = slow_start_ ? window_ + 1 : window_ + 1 / window_;
  window_ = std::min<double>(grown, max_connections_);
  return false;
}

void StartControl::Judge(uint64_t now_us, uint32_t in_flight) {
  if (!adaptive_ || now_us - judged_at_us_ < uint64_t{kJudgeMs} * 1000) return;
  if (bad_ >= kBadMin && bad_ * kBadShare > connects_) {
    rate_ = std::max(kMinRate * share_, rate_ / 2);
    // Half of what was in flight, as TCP halves its flight size: no new start until that many
    // have ended.
    window_ = std::max(kMinWindow * share_, std::min<double>(window_, in_flight) / 2);
    slow_start_ = false;
    halved_at_us_ = now_us;
  } else if (rate_limited_) {
    rate_ = std::min(slow_start_ ? rate_ * 2 : rate_ + kRateStep * share_, kMaxRate * share_);
  }
  if (max_rate_ > 0) rate_ = std::min(rate_, max_rate_);  // the user's ceiling, floor or not
  if (rate_ != bucket_.rate()) Repace(now_us);
  judged_at_us_ = now_us;
  connects_ = 0;
  bad_ = 0;
  rate_limited_ = false;
}

}  // namespace mailsweep::engine
