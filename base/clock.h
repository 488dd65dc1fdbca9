// Clock readings the hot loops share: the monotonic clock (for deadlines, rates and durations)
// in ns, us and ms, and the wall clock in us (for the times records carry). Header-only, a
// clock_gettime() each, no allocation; any thread.
//
// Example:
//   const uint64_t deadline_ms = MonotonicMs() + 5000;
//   record.start_us = RealtimeUs();
#ifndef MAILSWEEP_BASE_CLOCK_H_
#define MAILSWEEP_BASE_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace mailsweep {

inline int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}
inline uint64_t MonotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}
inline uint64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}
inline int64_t RealtimeUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_CLOCK_H_
