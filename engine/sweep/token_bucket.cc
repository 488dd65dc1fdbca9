#include "engine/sweep/token_bucket.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace mailsweep::engine {

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

double RateForBandwidth(double bits_per_second) { return bits_per_second / (90.0 * 8.0); }

bool ParseBandwidth(const char* text, double* bits_per_second) {
  char* end = nullptr;
  const double value = strtod(text, &end);
  if (end == text || !std::isfinite(value) || value <= 0) return false;
  double unit = 1;
  switch (*end) {
    case 'k':
    case 'K':
      unit = 1e3;
      ++end;
      break;
    case 'm':
    case 'M':
      unit = 1e6;
      ++end;
      break;
    case 'g':
    case 'G':
      unit = 1e9;
      ++end;
      break;
    case 't':
    case 'T':
      unit = 1e12;
      ++end;
      break;
    default:
      break;
  }
  if (strcmp(end, "bps") == 0 || strcmp(end, "b") == 0 || strcmp(end, "bit") == 0)
    end += strlen(end);
  if (*end != '\0') return false;
  *bits_per_second = value * unit;
  return true;
}

}  // namespace mailsweep::engine
