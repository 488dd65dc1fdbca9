// Caps on a prober loop's connections per destination: at most `per_address` at once to one
// address and `per_prefix` to one /24 (many addresses of a hosting provider are one machine, and
// a small listen backlog there drops SYNs). A target over a cap waits here under its /24; when a
// connection there ends, the first waiting target of that /24 that fits becomes ready. The loop
// (prober_loop.h) routes every target of a /24 to the same loop, so the caps hold across threads.
//
// Example:
//   DestinationCaps caps(4, 64);
//   if (caps.Allow(t.address)) { caps.Opened(t.address); Start(t); }
//   else { caps.Hold(std::move(t)); }
//   ... caps.Closed(address); ProbeTarget next; if (caps.PopReady(&next)) ...
//
// One instance belongs to one loop thread. Waiting targets own their names (ProbeTarget::name);
// DropAll() frees them.
#ifndef MAILSWEEP_ENGINE_PROBER_DESTINATION_CAPS_H_
#define MAILSWEEP_ENGINE_PROBER_DESTINATION_CAPS_H_

#include <cstdint>
#include <deque>

#include "absl/container/flat_hash_map.h"
#include "engine/prober/prober_options.h"

namespace mailsweep::engine {

class DestinationCaps {
 public:
  // 0: no cap of that kind.
  DestinationCaps(uint32_t per_address, uint32_t per_prefix)
      : per_address_cap_(per_address), per_prefix_cap_(per_prefix) {}

  // Whether one more connection to `address` stays within both caps.
  bool Allow(uint32_t address) const;
  void Hold(ProbeTarget t);  // t waits until a connection of its /24 ends
  void Opened(uint32_t address);
  // A connection to `address` ended: the first held target of its /24 that fits becomes ready.
  void Closed(uint32_t address);
  // The next ready target (one a Closed() freed), if any, moved into *t.
  [[nodiscard]] bool PopReady(ProbeTarget* t);
  bool has_ready() const { return !ready_.empty(); }
  uint64_t held() const { return held_count_; }  // waiting for a connection to end
  uint64_t waiting() const { return held_count_ + ready_.size(); }
  // Frees the names of every waiting target and forgets them; returns how many there were.
  uint64_t DropAll();

 private:
  static uint32_t Prefix(uint32_t address) { return address >> 8; }

  const uint32_t per_address_cap_;
  const uint32_t per_prefix_cap_;
  absl::flat_hash_map<uint32_t, uint32_t> per_address_;  // connections open
  absl::flat_hash_map<uint32_t, uint32_t> per_prefix_;
  absl::flat_hash_map<uint32_t, std::deque<ProbeTarget>> held_;  // by /24
  std::deque<ProbeTarget> ready_;
  uint64_t held_count_ = 0;
};

}  // namespace mailsweep::engine

#endif  // MAILSWEEP_ENGINE_PROBER_DESTINATION_CAPS_H_
