#include "engine/sweep/bandwidth.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace mailsweep::engine {

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
  // 1e300G is a finite number but no link: beyond kMaxBandwidth the rate would overflow.
  if (!(value * unit <= kMaxBandwidth)) return false;
  *bits_per_second = value * unit;
  return true;
}

}  // namespace mailsweep::engine
