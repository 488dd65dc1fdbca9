// A prober loop's connections: chunks of Connection that never move, addressed by slot, with a
// free list. An epoll event carries Connection::tag() (slot and generation) and Lookup() turns it
// back into the connection, or null when that occupant is gone. Grows a chunk at a time and
// never shrinks; the loop sizes its timer wheel to size().
//
// Thread rule: owned by one loop thread. Allocates only when it grows.
//
// Example:
//   ConnectionSlab slab;
//   Connection& c = slab.at(slab.Alloc());  ... slab.Free(c.slot);
//   if (Connection* c = slab.Lookup(event.data.u64)) OnEvent(*c);
#ifndef MAILSWEEP_ENGINE_PROBER_CONNECTION_SLAB_H_
#define MAILSWEEP_ENGINE_PROBER_CONNECTION_SLAB_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/prober/connection.h"

namespace mailsweep::engine {

class ConnectionSlab {
 public:
  static constexpr uint32_t kChunk = 1024;

  ConnectionSlab() = default;
  ~ConnectionSlab();  // closes the sockets still open
  ConnectionSlab(const ConnectionSlab&) = delete;
  ConnectionSlab& operator=(const ConnectionSlab&) = delete;

  // A free slot (its Connection is as Free() left it); grows by kChunk when none is free.
  uint32_t Alloc();
  void Free(uint32_t slot) { free_slots_.push_back(slot); }
  Connection& at(uint32_t slot) { return chunks_[slot / kChunk][slot % kChunk]; }
  // The live connection an epoll tag names; null when the slot is free or reused since.
  Connection* Lookup(uint64_t tag) {
    const uint32_t slot = static_cast<uint32_t>(tag);
    const uint32_t generation = static_cast<uint32_t>(tag >> 32);
    if (slot >= slots_) return nullptr;
    Connection& c = at(slot);
    if (c.phase == Connection::Phase::kFree || c.generation != generation) return nullptr;
    return &c;
  }
  uint32_t size() const { return slots_; }  // slots made so far, free or not

 private:
  std::vector<std::unique_ptr<Connection[]>> chunks_;
  std::vector<uint32_t> free_slots_;
  uint32_t slots_ = 0;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_CONNECTION_SLAB_H_
