// The addresses blocked since a run started (SIGHUP re-read the -b files), laid over a target
// space that itself never changes: the walk, its positions and a checkpoint stay valid, and the
// senders, the receive thread and the scan's feeder ask the overlay before they act on a target.
// Owned by the command (`sweep`, `scan`), published by BlocklistReloader (blocklist_reloader.h).
//
// Thread rules: Publish() on one thread (the main thread); Current() from any thread, without a
// lock or an allocation. Every set ever published stays alive until the overlay is destroyed,
// so a pointer from Current() is good for the whole run (reloads are rare: no reclamation).
//
// Example (a sender, once per batch):
//   const IntervalSet* excluded = overlay->Current();
//   ... if (IsExcluded(excluded, target.address)) { ++skipped; continue; }
#ifndef MAILSWEEP_TARGETS_EXCLUSION_OVERLAY_H_
#define MAILSWEEP_TARGETS_EXCLUSION_OVERLAY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "targets/interval_set.h"

namespace mailsweep::targets {

class ExclusionOverlay {
 public:
  ExclusionOverlay() = default;
  ExclusionOverlay(const ExclusionOverlay&) = delete;
  ExclusionOverlay& operator=(const ExclusionOverlay&) = delete;

  // Main thread: makes `excluded` the set in force. It must hold every address of the set it
  // replaces (a run never un-blocks); the caller (BlocklistReloader) guarantees it.
  void Publish(IntervalSet excluded);

  // Any thread: the set in force, or null while nothing is excluded. Lives as long as the overlay.
  const IntervalSet* Current() const { return current_.load(std::memory_order_acquire); }
  // Any thread: how many sets were published (0: none). A reader that sees generation g sees
  // in Current() the set of the g-th Publish() or a newer one.
  uint64_t generation() const { return generation_.load(); }

 private:
  std::vector<std::unique_ptr<const IntervalSet>> sets_;  // main thread only; all kept
  std::atomic<const IntervalSet*> current_{nullptr};
  std::atomic<uint64_t> generation_{0};
};

// Whether `address` is in `excluded` (null: nothing is). The hot path's test.
inline bool IsExcluded(const IntervalSet* excluded, uint32_t address) {
  return excluded != nullptr && excluded->Contains(address);
}

}  // namespace mailsweep::targets

#endif  // MAILSWEEP_TARGETS_EXCLUSION_OVERLAY_H_
