#include "base/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace mailsweep {

TokenBucket::TokenBucket(double rate, uint64_t burst, int64_t now_ns)
    : rate_(rate), burst_(burst == 0 ? 1 : burst), origin_ns_(now_ns) {}

uint64_t TokenBucket::Available(int64_t now_ns) {
  if (rate_ <= 0) return burst_;
  const double earned = static_cast<double>(now_ns - origin_ns_) * 1e-9 * rate_;
  const double available = earned - static_cast<double>(granted_);
  if (available > static_cast<double>(burst_)) {
    // Forget credit beyond the burst: move the origin so exactly `burst_` tokens are there now.
    // Granted counts restart at the new origin to keep the numbers small and exact.
    const double keep_s = static_cast<double>(burst_) / rate_;
    origin_ns_ = now_ns - static_cast<int64_t>(std::ceil(keep_s * 1e9));
    granted_ = 0;
    return burst_;
  }
  return available <= 0 ? 0 : static_cast<uint64_t>(available);
}

int64_t TokenBucket::Take(uint64_t n, int64_t now_ns) {
  if (rate_ <= 0) return 0;
  if (Available(now_ns) >= n) {
    granted_ += n;
    return 0;
  }
  // Time at which granted_ + n tokens will have been earned.
  const double due_s = static_cast<double>(granted_ + n) / rate_;
  const int64_t due_ns = origin_ns_ + static_cast<int64_t>(std::ceil(due_s * 1e9));
  return due_ns > now_ns ? due_ns - now_ns : 1;
}

void TokenBucket::Reset(int64_t now_ns) {
  origin_ns_ = now_ns;
  granted_ = 0;
}

void TokenBucket::SetRate(double rate, uint64_t burst, int64_t now_ns) {
  const uint64_t keep = rate_ > 0 ? Available(now_ns) : 0;
  rate_ = rate;
  burst_ = burst == 0 ? 1 : burst;
  granted_ = 0;
  origin_ns_ = now_ns;
  if (rate_ > 0) {
    const double keep_s = static_cast<double>(std::min(keep, burst_)) / rate_;
    origin_ns_ = now_ns - static_cast<int64_t>(std::ceil(keep_s * 1e9));
  }
}

}  // namespace mailsweep
