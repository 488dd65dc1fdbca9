#include "engine/prober/connection_slab.h"

#include <unistd.h>

namespace mailsweep::engine {

ConnectionSlab::~ConnectionSlab() {
  for (auto& chunk : chunks_) {
    for (uint32_t i = 0; i < kChunk; ++i) {
      if (chunk[i].fd >= 0) close(chunk[i].fd);
    }
  }
}

uint32_t ConnectionSlab::Alloc() {
  if (free_slots_.empty()) {
    chunks_.push_back(std::make_unique<Connection[]>(kChunk));
    for (uint32_t i = 0; i < kChunk; ++i) chunks_.back()[i].slot = slots_ + i;
    for (uint32_t i = kChunk; i > 0; --i) free_slots_.push_back(slots_ + i - 1);
    slots_ += kChunk;
  }
  const uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

}  // namespace mailsweep::engine
