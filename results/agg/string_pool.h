// Interns strings for the roll-up's reading worker (results/agg/read_worker.h): banners, ciphers,
// certificate hashes and names become small ids (0: none) that fit a PortObs. A pool that
// reaches its max_id stops adding, and new values read as none. One owner thread; Get() is
// safe from other threads once the owner is done adding (after the reading phase).
//
// Example:
//   StringPool banners((1u << 24) - 1);
//   const uint32_t id = banners.Intern(banner);
//   std::string_view again = banners.Get(id);
#ifndef MAILSWEEP_RESULTS_AGG_STRING_POOL_H_
#define MAILSWEEP_RESULTS_AGG_STRING_POOL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"

namespace mailsweep::results {

class StringPool {
 public:
  explicit StringPool(uint32_t max_id) : max_id_(max_id) {}
  uint32_t Intern(std::string_view s) {
    if (s.empty()) return 0;
    // The records of a chunk point at the chunk's one copy of a repeated string: a small cache
    // by address skips the hashing. Contents are compared, so a reused buffer cannot fool it.
    Recent& r = recent_[(reinterpret_cast<uintptr_t>(s.data()) >> 2) % kRecent];
    if (r.data == s.data() && r.id != 0 && Get(r.id) == s) return r.id;
    uint32_t id;
    if (auto it = index_.find(ToAbsl(s)); it != index_.end()) {
      id = it->second;
    } else {
      if (strings_.size() >= max_id_) return 0;
      strings_.emplace_back(s);
      id = static_cast<uint32_t>(strings_.size());
      index_.emplace(strings_.back(), id);
    }
    r = {s.data(), id};
    return id;
  }
  std::string_view Get(uint32_t id) const {
    return id == 0 ? std::string_view() : std::string_view(strings_[id - 1]);
  }
  // Ids run from 1 to size().
  uint32_t size() const { return static_cast<uint32_t>(strings_.size()); }

 private:
  static constexpr size_t kRecent = 64;
  struct Recent {
    const char* data = nullptr;
    uint32_t id = 0;
  };
  const uint32_t max_id_;
  Recent recent_[kRecent];
  absl::flat_hash_map<std::string, uint32_t> index_;
  std::vector<std::string> strings_;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_STRING_POOL_H_
