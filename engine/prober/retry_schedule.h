// A prober loop's targets that wait to be tried again, in two kinds:
//  - local failures: socket()/bind()/connect() failed on our side (descriptors, local ports or
//    memory ran out). That says nothing about the target, so it gets no record: it is tried
//    again once one of our connections has ended, or after kRetryPauseMs when none is open, and
//    given up (counted as unprobed) after kGiveUpAfter such pauses in a row;
//  - transient outcomes (IsTransient): tried again once their delay has passed, in the order
//    they are due (one delay for all, so appending keeps the order).
// ProberLoop asks it for work before its hand-off queue (prober_loop.h, NextTarget).
//
// Thread rule: owned by one loop thread. The waiting targets own their names; DropAll() and
// a give-up free them.
#ifndef MAILSWEEP_ENGINE_PROBER_RETRY_SCHEDULE_H_
#define MAILSWEEP_ENGINE_PROBER_RETRY_SCHEDULE_H_

#include <cstdint>
#include <deque>
#include <utility>

#include "engine/prober/prober_options.h"
#include "results/format/records.h"

namespace mailsweep::engine {

// Outcomes that say more about the moment than about the server: tried again later.
bool IsTransient(const results::ProbeRecord& r);

class RetrySchedule {
 public:
  // After a local error with nothing of ours open: the pause before the next try, and how many
  // such failures in a row (100 x 100 ms = 10 s) make the waiting targets given up.
  static constexpr uint32_t kRetryPauseMs = 100;
  static constexpr uint32_t kGiveUpAfter = 100;

  // `t` failed on our side; `nothing_open`: no connection of ours is open now. Holds new
  // connections until one ends or kRetryPauseMs pass. Returns how many targets were given up
  // (t and those waiting with it), or 0 when t waits for its retry.
  uint64_t AddLocalFailure(ProbeTarget t, bool nothing_open, uint64_t now_ms);
  // A connect got under way: the local failures in a row are over.
  void NoteConnectStarted() { failures_while_idle_ = 0; }
  // Whether new connections wait for a connection to end or for hold_until_ms().
  bool holding() const { return hold_; }
  uint64_t hold_until_ms() const { return hold_until_ms_; }
  void Release() { hold_ = false; }  // a descriptor and a port are free again
  void ReleaseIfDue(uint64_t now_ms) {
    if (hold_ && now_ms >= hold_until_ms_) hold_ = false;
  }

  // A transient outcome's next attempt, due at `due_ms`.
  void AddTransient(ProbeTarget t, uint64_t due_ms) { due_.emplace_back(due_ms, std::move(t)); }
  // The earliest transient retry's due time, if any waits.
  bool next_due(uint64_t* due_ms) const {
    if (due_.empty()) return false;
    *due_ms = due_.front().first;
    return true;
  }
  bool HasDue(uint64_t now_ms) const { return !due_.empty() && due_.front().first <= now_ms; }
  [[nodiscard]] bool PopDue(uint64_t now_ms, ProbeTarget* t);
  [[nodiscard]] bool PopLocal(ProbeTarget* t);
  size_t local_waiting() const { return local_.size(); }
  size_t due_waiting() const { return due_.size(); }

  // Frees the names of every waiting target and forgets them; returns how many there were.
  uint64_t DropAll();

 private:
  std::deque<ProbeTarget> local_;
  std::deque<std::pair<uint64_t, ProbeTarget>> due_;
  bool hold_ = false;  // no new connection until one ends or hold_until_ms_
  uint64_t hold_until_ms_ = 0;
  uint32_t failures_while_idle_ = 0;  // local failures in a row with nothing in flight
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_RETRY_SCHEDULE_H_
