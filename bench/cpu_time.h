// CPU time for the benchmarks, which run on a shared machine: CPU seconds measure per-core cost
// where wall time cannot. Header-only; each bench is its own executable.
#ifndef MAILSWEEP_BENCH_CPU_TIME_H_
#define MAILSWEEP_BENCH_CPU_TIME_H_

#include <sys/resource.h>

namespace mailsweep::bench {

// User + system seconds of this process (RUSAGE_SELF) or of its waited-for children
// (RUSAGE_CHILDREN).
inline double CpuSeconds(int who) {
  rusage u;
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace mailsweep::bench

#endif  // MAILSWEEP_BENCH_CPU_TIME_H_
