// SIGINT/SIGTERM (and SIGHUP) as a file descriptor, so a scan's main loop notices a stop request
// in the same poll() that paces its status line, without a global signal handler. Construct it
// in the main thread *before* starting any other thread: the signals are blocked in the calling
// thread and every thread started afterwards inherits the mask, so only this fd receives them.
// Owned by the main thread; not thread-safe.
//
// Example:
//   SignalFd signals;                      // first thing in the command
//   StartWorkers();
//   while (running) {
//     if (std::optional<int> sig = signals.Wait(1000)) { RequestStop(); }
//     PrintStatus();
//   }
#ifndef MAILSWEEP_ENGINE_RUN_SIGNAL_FD_H_
#define MAILSWEEP_ENGINE_RUN_SIGNAL_FD_H_

#include <signal.h>

#include <optional>

namespace mailsweep::engine {

class SignalFd {
 public:
  SignalFd();
  // Restores the previous signal mask of the calling thread; SIGHUP is ignored from then on
  // (also one still pending), so that an opt-out reload sent late cannot end a finished run.
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  int fd() const { return fd_; }
  // Waits up to `timeout_ms` (0: just look) for a signal; returns its number.
  std::optional<int> Wait(int timeout_ms);

 private:
  int fd_ = -1;
  sigset_t old_mask_;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_RUN_SIGNAL_FD_H_
