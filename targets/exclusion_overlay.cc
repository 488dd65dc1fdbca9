#include "targets/exclusion_overlay.h"

#include <cassert>

namespace mailsweep::targets {

void ExclusionOverlay::Publish(IntervalSet excluded) {
  // Never un-block: the new set holds the old one (checked in debug builds).
  assert(current_.load() == nullptr || current_.load()->Subtract(excluded).empty());
  sets_.push_back(std::make_unique<const IntervalSet>(std::move(excluded)));
  const IntervalSet* now = sets_.back()->empty() ? nullptr : sets_.back().get();
  current_.store(now, std::memory_order_release);
  generation_.fetch_add(1);  // seq_cst: after the store above (see generation())
}

}  // namespace mailsweep::targets
